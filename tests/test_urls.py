"""normalize_url: the identity key of web items."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seedfeed.urls import normalize_url


@pytest.mark.parametrize(("raw", "key"), [
    # scheme and host case, http -> https, default ports
    ("HTTP://Example.COM/a", "https://example.com/a"),
    ("http://example.com:80/a", "https://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:8080/a", "https://example.com:8080/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    # www is kept: it may be a different site
    ("https://www.example.com/a", "https://www.example.com/a"),
    # empty path, trailing slash, doubled slashes, dot segments
    ("https://example.com", "https://example.com/"),
    ("https://example.com/", "https://example.com/"),
    ("https://example.com/blog/post/", "https://example.com/blog/post"),
    ("https://example.com//blog///post//", "https://example.com/blog/post"),
    ("https://example.com/a/./b/../c", "https://example.com/a/c"),
    ("https://example.com/../../a", "https://example.com/a"),
    # fragment
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com/a?x=1#top", "https://example.com/a?x=1"),
    # tracking parameters and query order
    ("https://example.com/a?utm_source=x&utm_medium=y&id=3", "https://example.com/a?id=3"),
    ("https://example.com/a?b=2&a=1&fbclid=abc&gclid=z&mc_cid=1&mc_eid=2&ref=hn", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?UTM_Campaign=x", "https://example.com/a"),
    ("https://example.com/a?tag=b&tag=a", "https://example.com/a?tag=b&tag=a"),   # repeated names keep order
    ("https://example.com/a?", "https://example.com/a"),
    ("https://example.com/a?&&x=1&", "https://example.com/a?x=1"),
    ("https://example.com/a?q=a+b", "https://example.com/a?q=a+b"),
    ("https://example.com/a?flag", "https://example.com/a?flag"),
    # percent-encoding
    ("https://example.com/%7euser/%41b", "https://example.com/~user/Ab"),
    ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
    ("https://example.com/caf\u00e9 au lait", "https://example.com/caf%C3%A9%20au%20lait"),
    ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
    ("https://example.com/100%", "https://example.com/100%25"),
    ("https://example.com/s?q=%e2%82%ac&x=%26", "https://example.com/s?q=%E2%82%AC&x=%26"),
    # IDN, trailing dot, IPv6, credentials
    ("https://b\u00fccher.example/x", "https://xn--bcher-kva.example/x"),
    ("https://B\u00dcCHER.example/x", "https://xn--bcher-kva.example/x"),
    ("https://example.com./x", "https://example.com/x"),
    ("http://[2001:DB8:0:0::1]:8080/x", "https://[2001:db8::1]:8080/x"),
    ("https://user:secret@example.com/x", "https://example.com/x"),
    ("  https://example.com/x  ", "https://example.com/x"),
])
def test_normalize(raw, key):
    assert normalize_url(raw) == key


def test_equivalent_spellings_share_a_key():
    spellings = [
        "http://Example.com/post/",
        "https://example.com:443/post#x",
        "https://example.com//post?utm_source=rss",
        "https://example.com/./post",
        "https://example.com/%70ost",
    ]
    assert {normalize_url(u) for u in spellings} == {"https://example.com/post"}


def test_distinct_pages_stay_distinct():
    keys = {normalize_url(u) for u in [
        "https://example.com/post", "https://www.example.com/post", "https://example.com/post?page=2",
        "https://example.com/Post", "https://example.com:8443/post", "https://blog.example.com/post"]}
    assert len(keys) == 6


@pytest.mark.parametrize("bad", ["/relative", "ftp://example.com/", "mailto:a@example.com", "https:///x",
                                 "javascript:alert(1)", "http://example.com:99999/"])
def test_rejects_non_http_urls(bad):
    with pytest.raises(ValueError):
        normalize_url(bad)


_segment = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    host=st.sampled_from(["example.com", "EXAMPLE.com", "www.example.com", "b\u00fccher.example", "[::1]"]),
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    segments=st.lists(_segment.filter(lambda s: "?" not in s and "#" not in s), max_size=4),
    query=st.lists(st.tuples(st.sampled_from(["a", "b", "utm_x", "ref", "Q", "%41"]), _segment), max_size=4),
    fragment=_segment,
)
def test_idempotent_and_well_formed(scheme, host, port, segments, query, fragment):
    url = f"{scheme}://{host}{port}/" + "/".join(segments)
    if query:
        url += "?" + "&".join(f"{k}={v.replace('&', '').replace('#', '')}" for k, v in query)
    url += "#" + fragment
    key = normalize_url(url)
    assert normalize_url(key) == key
    assert key.startswith("https://") and "#" not in key and key.isascii()
    assert " " not in key
    if "?" in key:
        names = [p.partition("=")[0].lower() for p in key.split("?", 1)[1].split("&")]
        assert not any(n.startswith("utm_") or n == "ref" for n in names)
