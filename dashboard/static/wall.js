/* The wall: draws every panel from the wall state and keeps it live over /api/stream.

   The server computes the state (core/wall.py); this script only draws it. Post text is untrusted:
   it reaches the page only through textContent, never as HTML. */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  // The server sends a state at least every 30 s; missing two and a half of them means trouble.
  var OFFLINE_AFTER_MS = 75000;
  // Not (re)connected for this long: say so, even if the last state is recent.
  var LOST_AFTER_MS = 15000;
  // Labels, channels and their Dutch names come from core/vocabulary.py, rendered into the page.
  var VOCABULARY = JSON.parse(document.getElementById("wall-vocabulary").textContent);
  var SENTIMENTS = VOCABULARY.sentiments;
  var LABELS = VOCABULARY.labels;
  var CHANNELS = VOCABULARY.channels;
  var number = new Intl.NumberFormat("nl-NL");
  var params = new URLSearchParams(window.location.search);

  var state = JSON.parse(document.getElementById("wall-state").textContent);
  var lastMessage = Date.now();
  var lostAt = Date.now();
  var retryDelay = 2000;
  var seenPosts = null;
  var currentPage = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return node;
  }

  function icon(name, className) {
    var node = svgEl("svg", { "class": "icon " + (className || ""), "aria-hidden": "true" });
    node.appendChild(svgEl("use", { href: "#i-" + name }));
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function signed(value) {
    if (value === null || value === undefined) return "–";
    var rounded = Math.round(value);
    if (rounded > 0) return "+" + number.format(rounded);
    if (rounded < 0) return "−" + number.format(-rounded);
    return "0";
  }

  function percent(value) {
    return value === null || value === undefined ? "–" : Math.round(value) + "%";
  }

  function sentimentOf(net) {
    if (net === null || net === undefined) return "unscored";
    if (net <= -8) return "negative";
    if (net >= 8) return "positive";
    return "neutral";
  }

  /* A mood figure as the wall says it: "te weinig berichten" below the minimum sample, else the net
     figure with its margin while the sample is small ("+12 ±9"). */
  function moodFigure(figures) {
    if (figures.low_sample) return VOCABULARY.too_few;
    var text = signed(figures.net_sentiment);
    if (figures.margin) text += " ±" + number.format(Math.round(figures.margin));
    return text;
  }

  function sampleText(figures) {
    return "op " + number.format(figures.sample) + (figures.sample === 1 ? " beoordeeld verhaal" : " beoordeelde verhalen");
  }

  function moodWord(net, figures) {
    if (!figures.posts) return "geen berichten";
    if (figures.low_sample) return VOCABULARY.too_few;
    if (net === null || net === undefined) return LABELS.unscored;
    if (net <= -25) return "negatief";
    if (net <= -8) return "licht negatief";
    if (net < 8) return "neutraal";
    if (net < 25) return "licht positief";
    return "positief";
  }

  function host(url) {
    return (url || "").replace(/^https?:\/\//, "").replace(/\/$/, "");
  }

  /* No half items on the screen: the first item that does not fit gets one more chance in its short
     form (class is-short), then it and everything after it go. */
  function fitChildren(list) {
    var bottom = list.getBoundingClientRect().bottom + 0.5;
    var items = Array.prototype.slice.call(list.children);
    for (var i = 1; i < items.length; i++) {
      if (items[i].getBoundingClientRect().bottom <= bottom) continue;
      items[i].classList.add("is-short");
      var keep = items[i].getBoundingClientRect().bottom <= bottom ? i + 1 : i;
      items.slice(keep).forEach(function (item) { list.removeChild(item); });
      return;
    }
  }

  function shareBar(figures) {
    var bar = el("div", "share-bar");
    // Below the minimum sample the shares are no figure to show either.
    if (figures.low_sample) return bar;
    SENTIMENTS.forEach(function (key) {
      var share = figures.shares ? figures.shares[key] : null;
      if (share) {
        var part = el("span", key);
        part.style.width = share + "%";
        bar.appendChild(part);
      }
    });
    return bar;
  }

  /* --- panels ------------------------------------------------------------------------------ */

  function renderMood() {
    var mood = state.mood;
    var sentiment = mood.low_sample ? "unscored" : sentimentOf(mood.net_sentiment);
    var tone = sentiment === "negative" ? " is-negative" : sentiment === "positive" ? " is-positive" : "";
    var net = $("mood-net");
    // Below the minimum sample there is no number to show, only the words saying so.
    net.textContent = signed(mood.net_sentiment);
    net.className = "mood-net" + tone;
    net.hidden = mood.net_sentiment === null || mood.low_sample;
    var word = clear($("mood-word"));
    word.appendChild(el("span", tone.trim(), moodWord(mood.net_sentiment, mood)));
    if (mood.sample && !mood.low_sample) {
      word.appendChild(el("span", "mood-sample",
        (mood.margin ? "±" + number.format(Math.round(mood.margin)) + " punten, " : "") + sampleText(mood)));
    }
    $("mood-heading").textContent = state.crisis ? "Stemming rond " + state.crisis.title : "Stemming in de stad";

    var change = clear($("mood-change"));
    var delta = mood.change ? mood.change.net_sentiment : null;
    if (delta === null || mood.previous.low_sample || mood.low_sample) {
      change.className = "mood-change is-same";
      change.appendChild(icon("flat"));
      change.appendChild(el("span", "", "Te weinig berichten om te vergelijken"));
    } else if (Math.round(delta) >= 1) {
      change.className = "mood-change is-better";
      change.appendChild(icon("up"));
      change.appendChild(el("span", "", Math.round(delta) + " punten beter dan de 24 uur ervoor"));
    } else if (Math.round(delta) <= -1) {
      change.className = "mood-change is-worse";
      change.appendChild(icon("down"));
      change.appendChild(el("span", "", -Math.round(delta) + " punten slechter dan de 24 uur ervoor"));
    } else {
      change.className = "mood-change is-same";
      change.appendChild(icon("flat"));
      change.appendChild(el("span", "", "Gelijk aan de 24 uur ervoor"));
    }

    var shares = clear($("mood-shares"));
    shares.appendChild(shareBar(mood));
    var labels = el("div", "share-labels");
    ["negative", "neutral", "positive"].forEach(function (key) {
      var label = el("span", "share-label sent-" + key);
      var value = el("span", "share-value");
      value.appendChild(icon(key));
      value.appendChild(document.createTextNode(mood.low_sample ? "–" : percent(mood.shares[key])));
      label.appendChild(value);
      label.appendChild(el("span", "share-word", LABELS[key]));
      labels.appendChild(label);
    });
    shares.appendChild(labels);

    var count = clear($("mood-count"));
    count.appendChild(el("strong", "", number.format(mood.posts)));
    var diff = mood.change ? mood.change.posts : 0;
    count.appendChild(document.createTextNode(
      (mood.posts === 1 ? " bericht" : " berichten") + " (" + signed(diff) + " t.o.v. de 24 uur ervoor) over " +
      number.format(mood.stories) + (mood.stories === 1 ? " verhaal" : " verhalen")));
    // Posts in other languages are counted apart: they are not in the mood, and not waiting for it.
    if (mood.other_language) {
      count.appendChild(document.createTextNode(", " + number.format(mood.other_language) + " " + VOCABULARY.other_language));
    }
    if (mood.unscored) {
      count.appendChild(document.createTextNode(", " + number.format(mood.unscored) + " " + LABELS.unscored));
    }
  }

  function renderChannels() {
    var list = clear($("channels"));
    state.channels.forEach(function (channel) {
      var item = el("li", "channel");
      item.appendChild(icon(channel.channel, "chan-" + channel.channel));
      var name = el("span", "channel-name", CHANNELS[channel.channel] || channel.channel);
      name.appendChild(el("span", "channel-net",
        !channel.posts ? "" : channel.low_sample ? "  " + VOCABULARY.too_few
          : "  netto " + moodFigure(channel) + " (" + number.format(channel.sample) + ")"));
      item.appendChild(name);
      var count = el("span", "channel-count", number.format(channel.posts));
      count.appendChild(el("small", "", channel.posts === 1 ? " bericht" : " berichten"));
      item.appendChild(count);
      item.appendChild(shareBar(channel));
      list.appendChild(item);
    });
  }

  function niceStep(max, steps) {
    var raw = max / steps;
    var power = Math.pow(10, Math.floor(Math.log10(raw)));
    var options = [1, 2, 5, 10];
    for (var i = 0; i < options.length; i++) {
      if (options[i] * power >= raw) return Math.max(1, options[i] * power);
    }
    return Math.max(1, 10 * power);
  }

  /* Stacked bars, one per bucket; `tick(bucket)` gives an axis label or null, `align` where it sits. */
  function drawBars(svg, timeline, keys, tick, align) {
    clear(svg);
    var width = svg.clientWidth;
    var height = svg.clientHeight;
    if (!width || !height) return;
    var rem = parseFloat(window.getComputedStyle(document.documentElement).fontSize);
    var buckets = timeline.buckets;
    var totals = buckets.map(function (bucket) {
      return keys.reduce(function (sum, key) { return sum + (bucket.counts[key] || 0); }, 0);
    });
    var highest = Math.max.apply(null, totals.concat([0]));
    var left = 3.4 * rem, right = 0.6 * rem, top = 0.8 * rem, bottom = 2.1 * rem;
    var plotWidth = width - left - right, plotHeight = height - top - bottom;
    var step = niceStep(Math.max(highest, 1), 4);
    var max = Math.max(step, Math.ceil(highest / step) * step);

    for (var value = 0; value <= max; value += step) {
      var y = top + plotHeight - (value / max) * plotHeight;
      svg.appendChild(svgEl("line", { "class": "grid", x1: left, x2: width - right, y1: y, y2: y }));
      var label = svgEl("text", { x: left - 0.6 * rem, y: y + 0.38 * rem, "text-anchor": "end" });
      label.textContent = number.format(value);
      svg.appendChild(label);
    }

    var band = plotWidth / buckets.length;
    var gap = band > 8 ? band * 0.2 : band * 0.1;
    buckets.forEach(function (bucket, i) {
      var x = left + i * band + gap / 2;
      var base = top + plotHeight;
      keys.forEach(function (key) {
        var count = bucket.counts[key] || 0;
        if (!count) return;
        var h = (count / max) * plotHeight;
        base -= h;
        svg.appendChild(svgEl("rect", { "class": "bar-" + key, x: x, y: base, width: Math.max(band - gap, 1), height: h }));
      });
      var text = tick(bucket, i);
      if (text) {
        var at = align === "start" ? left + i * band : left + (i + 0.5) * band;
        if (align === "start") {
          svg.appendChild(svgEl("line", { "class": "grid", x1: at, x2: at, y1: top, y2: top + plotHeight }));
        }
        var axis = svgEl("text", { x: at + (align === "start" ? 0.3 * rem : 0), y: height - 0.4 * rem,
                                   "text-anchor": align === "start" ? "start" : "middle" });
        axis.textContent = text;
        svg.appendChild(axis);
      }
    });

    if (highest === 0) {
      var empty = svgEl("text", { "class": "empty", x: left + plotWidth / 2, y: top + plotHeight / 2, "text-anchor": "middle" });
      empty.textContent = "Geen berichten in deze periode";
      svg.appendChild(empty);
    }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function renderTimelines() {
    var day = state.timeline.day;
    drawBars($("timeline-day"), day, SENTIMENTS, function (bucket, i) {
      return bucket.hour % 3 === 0 && i > 0 ? pad(bucket.hour) + ":00" : null;
    }, "middle");
    drawBars($("timeline-week"), state.timeline.week, SENTIMENTS, function (bucket, i) {
      return bucket.hour === 0 ? bucket.day : null;
    }, "start");
    drawBars($("timeline-channels"), state.timeline.week_channels, ["news", "forum", "social"], function (bucket) {
      return bucket.day;
    }, "middle");
  }

  function sparkline(values) {
    var spark = svgEl("svg", { "class": "theme-spark", viewBox: "0 0 100 30", preserveAspectRatio: "none", "aria-hidden": "true" });
    if (!values || values.length < 2) return spark;
    var max = Math.max.apply(null, values.concat([1]));
    var points = values.map(function (v, i) {
      return (i / (values.length - 1) * 100).toFixed(2) + "," + (28 - v / max * 26).toFixed(2);
    });
    spark.appendChild(svgEl("polygon", { points: "0,30 " + points.join(" ") + " 100,30" }));
    spark.appendChild(svgEl("polyline", { points: points.join(" ") }));
    return spark;
  }

  function themeRow(theme) {
    var row = el("li", "theme" + (theme.emerging ? " is-emerging" : "") + (theme.crisis ? " is-crisis" : ""));
    var name = el("span", "theme-name");
    // Crisis and emerging themes carry a warning sign (besides their colour); the banner tells why.
    if (theme.crisis || theme.emerging) name.appendChild(icon("alert", theme.crisis ? "is-crisis" : "is-emerging"));
    name.appendChild(el("span", "theme-title", theme.title));
    row.appendChild(name);
    row.appendChild(el("span", "theme-count", number.format(theme.posts)));
    var trend = el("span", "theme-trend trend-" + theme.trend);
    trend.appendChild(icon(theme.trend));
    trend.appendChild(document.createTextNode(theme.previous_posts === 0 && theme.posts > 0 ? "nieuw" : signed(theme.change)));
    row.appendChild(trend);
    row.appendChild(sparkline(theme.spark));
    var sentiment = theme.low_sample ? "unscored" : sentimentOf(theme.net_sentiment);
    var net = el("span", "theme-net sent-" + sentiment);
    if (theme.posts && !theme.low_sample) net.appendChild(icon(sentiment));
    net.appendChild(document.createTextNode(theme.posts ? moodFigure(theme) : "–"));
    if (theme.posts && !theme.low_sample) net.appendChild(el("small", "theme-sample", " (" + number.format(theme.sample) + ")"));
    row.appendChild(net);
    return row;
  }

  function renderThemes() {
    [$("themes"), $("themes-all")].forEach(function (list) {
      clear(list);
      state.themes.forEach(function (theme) { list.appendChild(themeRow(theme)); });
      fitChildren(list);
    });

    var terms = clear($("terms"));
    if (state.terms.length) {
      terms.appendChild(el("strong", "", "Opkomende woorden:"));
      state.terms.forEach(function (term) { terms.appendChild(el("span", "term", term.key)); });
    } else {
      terms.textContent = "Geen opkomende woorden in het afgelopen uur.";
    }
  }

  function renderSignals() {
    var list = clear($("signals"));
    state.alerts.forEach(function (alert) {
      var item = el("li", "signal");
      item.appendChild(icon("alert"));
      item.appendChild(el("span", "signal-title", alert.title));
      item.appendChild(el("span", "signal-meta",
        "sinds " + alert.since + (alert.page ? " · " + host(alert.page) : "")));
      list.appendChild(item);
    });
    if (!state.alerts.length) list.appendChild(el("li", "signal is-empty", "Geen open signalen."));

    var terms = clear($("signal-terms"));
    state.terms.forEach(function (term) {
      var item = el("li", "signal");
      item.appendChild(icon("up"));
      item.appendChild(el("span", "signal-title", term.key));
      item.appendChild(el("span", "signal-meta", term.title));
      terms.appendChild(item);
    });
    if (!state.terms.length) terms.appendChild(el("li", "signal is-empty", "Geen opkomende woorden."));
  }

  function renderTicker() {
    var list = clear($("ticker"));
    var seen = {};
    state.posts.forEach(function (post) {
      seen[post.id] = true;
      var label = post.label || "unscored";
      var item = el("li", "post label-" + label + (seenPosts && !seenPosts[post.id] ? " is-new" : ""));
      item.dataset.id = post.id;
      var meta = el("div", "post-meta");
      meta.appendChild(icon(post.channel, "chan-" + post.channel));
      var who = el("span", "post-who");
      who.appendChild(el("span", "post-source", post.source));
      if (post.author) who.appendChild(document.createTextNode(" · " + post.author));
      meta.appendChild(who);
      var sentiment = el("span", "post-sentiment sent-" + label);
      sentiment.appendChild(icon(label));
      // A post in another language is not waiting for a score: it says its language instead.
      sentiment.appendChild(document.createTextNode(label !== "unscored" ? LABELS[label]
        : post.other_language ? VOCABULARY.other_language_short : VOCABULARY.unscored_short));
      meta.appendChild(sentiment);
      meta.appendChild(el("span", "post-time", post.time));
      item.appendChild(meta);
      if (post.title) item.appendChild(el("p", "post-title", post.title));
      if (post.text) item.appendChild(el("p", "post-text", post.text));
      list.appendChild(item);
    });
    if (!state.posts.length) list.appendChild(el("li", "is-empty", "Nog geen berichten."));
    seenPosts = seen;
    fitChildren(list);
  }

  function renderBanners() {
    var crisis = state.crisis;
    $("crisis").hidden = !crisis;
    if (crisis) {
      $("crisis-title").textContent = "Crisis: " + crisis.title;
      var parts = [];
      if (crisis.message) parts.push(crisis.message);
      parts.push("sinds " + crisis.since_time);
      if (crisis.page) parts.push("informatiepagina " + host(crisis.page));
      $("crisis-meta").textContent = parts.join(" · ");
    }

    // In crisis view the crisis banner already speaks for its theme's alerts.
    var alerts = state.alerts.filter(function (alert) {
      return !(crisis && alert.kind === "theme" && alert.key === crisis.theme);
    });
    $("alert").hidden = !alerts.length;
    if (alerts.length) {
      var alert = alerts[0];
      $("alert-kicker").textContent = (alert.severity === "critical" ? "Kritiek signaal" : "Signaal") + " · sinds " + alert.since;
      $("alert-title").textContent = alert.title;
      $("alert-meta").textContent = alert.page ? "Informatiepagina: " + host(alert.page) : "";
      $("alert-more").textContent = alerts.length > 1 ? "+" + (alerts.length - 1) + " ander" + (alerts.length > 2 ? "e signalen" : " signaal") : "";
    }
  }

  function renderStatus() {
    var box = $("status");
    var now = Date.now();
    var offline = now - lastMessage > OFFLINE_AFTER_MS || (lostAt !== null && now - lostAt > LOST_AFTER_MS);
    var text;
    document.body.classList.toggle("is-offline", offline);
    if (offline) {
      text = "Geen verbinding met de server · gegevens van " + state.updated;
    } else if (state.freshness.stale) {
      text = state.freshness.latest_post
        ? "Geen nieuwe berichten sinds " + state.freshness.latest_post
        : "Nog geen berichten binnengekomen";
    } else {
      text = "Laatst bijgewerkt " + state.updated;
    }
    var warning = offline || state.freshness.stale;
    box.className = "status " + (warning ? "is-warning" : "is-live");
    $("status-text").textContent = text;
    var failing = state.sources.failing.length;
    $("status-sources").textContent = failing && !offline
      ? failing + (failing === 1 ? " bron" : " bronnen") + " met storing" : "";
  }

  function renderClock() {
    var now = new Date();
    var zone = state.timezone;
    $("clock-time").textContent = new Intl.DateTimeFormat("nl-NL", { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(now);
    $("clock-date").textContent = new Intl.DateTimeFormat("nl-NL", { timeZone: zone, weekday: "long", day: "numeric", month: "long" }).format(now);
  }

  function render() {
    document.body.classList.toggle("mode-crisis", state.mode === "crisis");
    document.body.classList.toggle("mode-normal", state.mode !== "crisis");
    $("city").textContent = state.city;
    // Banners first: they take height from the panels that are measured after them.
    [renderBanners, renderMood, renderChannels, renderTimelines, renderThemes, renderSignals, renderTicker, renderStatus]
      .forEach(function (panel) {
        try {
          panel();
        } catch (error) {
          console.error("wall: panel " + panel.name + " failed", error);
        }
      });
  }

  /* --- pages --------------------------------------------------------------------------------- */

  function showPage(name) {
    currentPage = name;
    document.querySelectorAll(".page, .page-tabs li").forEach(function (node) {
      node.classList.toggle("is-current", node.dataset.page === name);
    });
  }

  function startPages() {
    var pages = Array.prototype.map.call(document.querySelectorAll(".page"), function (node) { return node.dataset.page; });
    var pinned = document.body.dataset.page;
    var seconds = parseInt(document.body.dataset.rotate, 10);
    showPage(pinned || pages[0]);
    if (pinned || !seconds) return;
    document.body.classList.add("is-rotating");
    window.setInterval(function () {
      // A crisis keeps the crisis view on screen.
      var next = state.mode === "crisis" ? pages[0] : pages[(pages.indexOf(currentPage) + 1) % pages.length];
      showPage(next);
    }, seconds * 1000);
  }

  /* --- live ---------------------------------------------------------------------------------- */

  function connect() {
    var url = new URL("/api/stream", window.location.href);
    if (params.get("token")) url.searchParams.set("token", params.get("token"));
    var source = new EventSource(url.toString());
    source.addEventListener("open", function () {
      lostAt = null;
      retryDelay = 2000;
      renderStatus();
    });
    source.addEventListener("state", function (event) {
      var incoming = JSON.parse(event.data);
      lastMessage = Date.now();
      lostAt = null;
      // The replay on connect can be older than the state the page came with: never step back.
      if (Date.parse(incoming.generated_at) >= Date.parse(state.generated_at)) {
        state = incoming;
        render();
      } else {
        renderStatus();
      }
    });
    source.addEventListener("error", function () {
      if (lostAt === null) lostAt = Date.now();
      renderStatus();
      // The browser reconnects by itself after a dropped stream, but gives up after an HTTP error
      // (server restarting behind a proxy, 5xx): then we try again, more slowly each time.
      if (source.readyState === EventSource.CLOSED) {
        window.setTimeout(connect, retryDelay);
        retryDelay = Math.min(retryDelay * 2, 60000);
      }
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(render, 200);
  });

  startPages();
  render();
  renderClock();
  window.setInterval(renderClock, 1000);
  window.setInterval(renderStatus, 5000);
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(render);
  connect();
})();
