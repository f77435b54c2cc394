"""find_article_links: article links on listing pages, with and without a CSS selector."""

from __future__ import annotations

import subprocess
import sys

import pytest
from seedfeed.sources.listing import find_article_links

BASE = "https://blog.example.com/posts/"

BLOG = """<!doctype html>
<html><head><title>Blog</title><link rel="alternate" href="/feed.xml"></head>
<body class="home menu-open">
<header class="site-header">
  <a href="/">Example Blog</a>
  <nav><a href="/posts/">Posts</a> <a href="/about/">About</a> <a href="/2024/01/nav-post-of-the-month/">Pick</a></nav>
</header>
<main>
  <article>
    <header><h2><a href="/2024/05/12/first-real-post/">The first real post of the year</a></h2></header>
    <a href="/2024/05/12/first-real-post/"><img src="/img/a.jpg"></a>
    <p>Intro text. <a href="https://other.example.org/some-external-article-here">elsewhere</a></p>
    <a href="/2024/05/12/first-real-post/#more">Read more</a>
    <footer>Tags: <a href="/tag/python/">python</a> by <a href="/author/ann/">Ann</a></footer>
  </article>
  <article>
    <h2><a href="/2024/05/10/second-post/?utm_source=home">Second post: a shorter one</a></h2>
  </article>
  <div class="card"><h3><a href="https://www.blog.example.com/notes/why-we-moved-to-postgres">Why we moved</a></h3></div>
  <ul class="pagination"><li><a href="/page/2/">Next</a></li></ul>
  <a href="/page/3/">3</a>
  <a href="/files/report-2024-final.pdf">The report (PDF) of the year 2024</a>
  <a href="/login?next=/">Log in</a>
</main>
<aside><h3><a href="/2023/12/01/popular-older-post/">Popular older post</a></h3></aside>
<footer class="site-footer"><a href="/privacy/">Privacy</a> <a href="/2022/02/02/footer-linked-post/">Old</a></footer>
</body></html>
"""


def test_auto_finds_articles_in_page_order_without_chrome():
    links = find_article_links(BLOG, BASE)
    assert links == [
        "https://blog.example.com/2024/05/12/first-real-post/",
        "https://blog.example.com/2024/05/10/second-post/?utm_source=home",
        "https://www.blog.example.com/notes/why-we-moved-to-postgres",
    ]


def test_selector_picks_exactly_and_dedupes():
    assert find_article_links(BLOG, BASE, "article h2 a") == [
        "https://blog.example.com/2024/05/12/first-real-post/",
        "https://blog.example.com/2024/05/10/second-post/?utm_source=home",
    ]
    # a selector matching containers takes the links inside them; #more and the image link collapse into one
    assert find_article_links(BLOG, BASE, "article:first-of-type") == [
        "https://blog.example.com/2024/05/12/first-real-post/",
        "https://other.example.org/some-external-article-here",
        "https://blog.example.com/tag/python/",
        "https://blog.example.com/author/ann/",
    ]


def test_bad_selector_is_a_value_error():
    with pytest.raises(ValueError, match="invalid CSS selector"):
        find_article_links(BLOG, BASE, "article >>> a[")


def test_relative_links_and_base_tag():
    html = """<html><head><base href="https://cdn.example.net/news/"></head><body><main>
      <h2><a href="world/2024-06-01-election-results-are-in">Election results are in today</a></h2>
      <h2><a href="https://news.example.net/only-news-subdomain-story-here">Different host</a></h2>
    </main></body></html>"""
    assert find_article_links(html, "https://cdn.example.net/news/") == [
        "https://cdn.example.net/news/world/2024-06-01-election-results-are-in"]


def test_news_site_with_ids_and_html_suffix():
    html = """<html><body><div id="content"><ul>
      <li><a href="/world/europe/story-about-trains-1234567.html">Trains are back on time in Europe</a></li>
      <li><a href="/world/europe/">Europe</a></li>
      <li><a href="/video/12345/">Watch</a></li>
      <li><a href="javascript:void(0)">Menu</a> <a href="mailto:x@example.com">Mail</a> <a href="#top">Top</a></li>
    </ul></div></body></html>"""
    assert find_article_links(html, "https://example.com/world/") == [
        "https://example.com/world/europe/story-about-trains-1234567.html"]


def test_rel_bookmark_and_wrapping_heading():
    html = """<html><body>
      <div class="entry"><a rel="bookmark" href="/p/hello">Hello</a></div>
      <div class="entry"><a href="/p/world"><h3>World</h3></a></div>
      <div class="entry"><a href="/p/plain">Plain</a></div>
    </body></html>"""
    assert find_article_links(html, "https://example.com/") == [
        "https://example.com/p/hello", "https://example.com/p/world"]


def test_empty_and_linkless_pages():
    assert find_article_links("", BASE) == []
    assert find_article_links("<html><body><p>No links</p></body></html>", BASE) == []
    assert find_article_links("<p>x</p>", BASE, "a") == []


def test_bs4_is_imported_lazily():
    code = "import sys, seedfeed.sources.listing; print('bs4' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


GHOST = """<html><body><div id="header" class="site-header"><a href="/2024/01/01/pinned-post-in-header/">Pinned</a></div>
<div class="site-content"><div class="post-feed">
  <article class="post-card">
    <a class="post-card-image-link" href="/why-static-sites-still-win/"><img src="/content/images/a.webp"></a>
    <div class="post-card-content">
      <a class="post-card-content-link" href="/why-static-sites-still-win/">
        <header class="post-card-header"><h2 class="post-card-title">Why static sites still win</h2></header>
      </a>
      <footer class="post-card-meta"><a href="/author/jo/">Jo</a> <a href="/why-static-sites-still-win/#comments">3</a></footer>
    </div>
  </article>
  <article class="post-card">
    <div class="post-card-content"><a class="post-card-content-link" href="/a-second-essay/">
      <header><h2>A second essay</h2></header></a></div>
  </article>
</div></div>
<div class="site-footer"><a href="/2020/05/05/old-but-linked-from-footer/">Old post</a></div>
</body></html>"""

HUGO = """<html><body><main><h1>Posts</h1><ul>
  <li><a href="/posts/hello-world/">Hello World</a> <time>2024-05-01</time></li>
  <li><a href="/posts/notes-on-rust-lifetimes/">Notes on Rust lifetimes</a></li>
  <li><a href="/tags/rust/">rust</a></li>
</ul><a href="/posts/page/2/">Older posts</a></main></body></html>"""


def test_ghost_style_cards():
    assert find_article_links(GHOST, "https://example.com/") == [
        "https://example.com/why-static-sites-still-win/", "https://example.com/a-second-essay/"]


def test_hugo_style_list():
    assert find_article_links(HUGO, "https://example.com/posts/") == [
        "https://example.com/posts/hello-world/", "https://example.com/posts/notes-on-rust-lifetimes/"]
