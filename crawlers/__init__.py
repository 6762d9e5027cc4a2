"""The crawlers room: Scrapy spiders (one module per source kind) that store posts through core.store.

`python -m crawlers.run SOURCE` crawls one configured source in its own process; the application crawls
through `crawlers.launch.CrawlPool`, long-lived crawl processes (`python -m crawlers.server`) that run
crawl after crawl. See crawlers/spiders/base.py for adding a source kind.

May import: `core` only.
"""
