"""The crawlers room: Scrapy spiders (one module per source kind) that store posts through core.store.

`python -m crawlers.run SOURCE` crawls one configured source in its own process; the application calls
`crawlers.run.crawl_in_subprocess(name)`. See crawlers/spiders/base.py for adding a source kind.
"""
