"""Publication and update dates: JSON-LD, meta tags, <time> elements, then htmldate."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from lxml import etree

from .meta import PageMeta
from .tuning import DEFAULT, Tuning

_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "og:article:published_time",
                   "article.published", "published_time", "publish-date", "publish_date", "pubdate",
                   "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued", "dc.date",
                   "dcterms.date", "date", "citation_publication_date", "citation_date", "article:published",
                   "datecreated", "created", "publication_date", "release_date", "originalpublicationdate")
_MODIFIED_META = ("article:modified_time", "og:updated_time", "datemodified", "og:article:modified_time",
                  "article.updated", "modified_time", "last-modified", "dcterms.modified", "dc.date.modified",
                  "updated_time", "lastmod")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
                  r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})?)?")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?\s*$")


def parse_date(value: str | None, default_tz: tzinfo) -> datetime | None:
    """A tz-aware datetime from an ISO-like string, keeping the offset as written."""
    if not value or not isinstance(value, str):
        return None
    m = _ISO.match(value)
    if not m:
        m2 = _COMPACT.match(value)
        if m2:
            y, mo, d, hh, mi, ss = m2.groups()
            return _build(y, mo, d, hh, mi, ss, None, default_tz)
        return _parse_loose(value, default_tz)
    y, mo, d, hh, mi, ss, tz = m.groups()
    return _build(y, mo, d, hh, mi, ss, tz, default_tz)


def _build(y, mo, d, hh, mi, ss, tz, default_tz: tzinfo) -> datetime | None:
    try:
        dt = datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0))
    except ValueError:
        return None
    if not 1990 <= dt.year <= 2100:
        return None
    if tz:
        if tz == "Z":
            tzi: tzinfo = UTC
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
            if hours > 14 or minutes > 59:
                return None
            tzi = timezone(sign * timedelta(hours=hours, minutes=minutes))
        return dt.replace(tzinfo=tzi)
    return dt.replace(tzinfo=default_tz)


def _parse_loose(value: str, default_tz: tzinfo) -> datetime | None:
    value = value.strip()
    if len(value) > 60 or not re.search(r"\d{4}", value):
        return None
    try:
        from dateutil import parser
    except ImportError:  # pragma: no cover - dateutil comes with htmldate
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dt = parser.parse(value, default=datetime(1900, 1, 1))
            other = parser.parse(value, default=datetime(1904, 2, 2))
        if dt.date() != other.date():  # a year or a month only: no day to publish
            return None
    except (ValueError, OverflowError, TypeError):
        return None
    if dt.year < 1990 or dt.year > 2100:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=default_tz)


def _ld_dates(pm: PageMeta, keys: tuple[str, ...]) -> tuple[str | None, str]:
    for obj in pm.articles() + pm.ld():
        for key in keys:
            value = obj.data.get(key)
            if isinstance(value, list) and value:
                value = value[0]
            if isinstance(value, str) and value.strip():
                return value, f"json-ld {key}"
    return None, ""


_NOT_MAIN = ('ancestor::*[contains(@class, "comment") or contains(@id, "comment") or contains(@class, "sidebar")'
             ' or contains(@class, "related") or self::aside or self::footer or self::nav]')


def _visible_time(root, tuning: Tuning = DEFAULT) -> tuple[str | None, str]:
    """The first <time datetime> in the article or main element, else outside comments, sidebars and footers:
    the date shown on the page (wcxb-dev: right on 0.86-0.94 of the pages that have one, against 0.77 for a
    JSON-LD datePublished that no meta tag confirms)."""
    for xpath, rule in (("//article//time[@datetime]|//main//time[@datetime]", "<time> in the article"),
                        (f"//time[@datetime][not({_NOT_MAIN})]", "<time> outside comments and sidebars")):
        for el in root.xpath(xpath):
            value = (el.get("datetime") or "").strip()
            m = re.match(r"(\d{4})-(\d{1,2})-(\d{1,2})", value)
            if m:
                shown = _day_shown(el, m) if tuning.date_time_text else None
                return (shown, f"{rule}, the day its text shows") if shown else (value, rule)
    return None, ""


def _day_shown(el, m: re.Match) -> str | None:
    """The day the <time> element's text shows, when it is the day before or after its datetime attribute's (a
    time in UTC shown in the page's own zone); None otherwise."""
    shown = shown_dates(" ".join(" ".join(el.itertext()).split())[:200])
    if not shown:
        return None
    try:
        attr, text = date(*map(int, m.groups())), date(*shown[0])
    except ValueError:
        return None
    return text.isoformat() if abs((text - attr).days) == 1 else None


def _time_elements(root) -> tuple[str | None, str]:
    for el in root.xpath('//*[@itemprop="datePublished"]'):
        value = el.get("datetime") or el.get("content") or el.text
        if value and value.strip():
            return value, "itemprop datePublished"
    return None, ""


_LABELLED = re.compile(r"^\s*(?:published|posted|date|published on|posted on|veröffentlicht|publié|publicado|pubblicato|"
                       r"gepubliceerd|publicerad|opublikowano)(?:\s+(?:on|am|le|el|il|op|den))?\s*:?\s*(.{6,40})$", re.I)


def _text_dates(root, default_tz: tzinfo) -> tuple[datetime | None, str]:
    """A date written as text: a <time> without datetime outside comments and sidebars, or a short element
    "Published: March 3, 2024" / "Posted on 3 March 2024" (the label in several languages)."""
    for el in root.xpath(f"//time[not(@datetime)][not({_NOT_MAIN})]")[:5]:
        dt = parse_date(" ".join("".join(el.itertext()).split()), default_tz)
        if dt is not None:
            return dt, "<time> text"
    for el in root.xpath(f'//body//*[self::p or self::span or self::div or self::li or self::small or self::em]'
                         f'[string-length(normalize-space(.)) < 60][not({_NOT_MAIN})]')[:3000]:
        m = _LABELLED.match(" ".join("".join(el.itertext()).split()))
        if m:
            dt = parse_date(m.group(1), default_tz)
            if dt is not None:
                return dt, "labelled date text"
    return None, ""


_INVISIBLE = {"script", "style", "noscript", "template", "svg"}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_RE = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|" \
            r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_SHOWN = (re.compile(_MONTH_RE + r"\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+((?:19|20)\d\d)\b", re.I),   # March 3, 2024
          re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\.?\s+" + _MONTH_RE + r"\.?,?\s+((?:19|20)\d\d)\b", re.I),  # 3 March 2024
          re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b"))


def shown_dates(text: str) -> list[tuple[int, int, int]]:
    """(year, month, day) of the dates written out in ``text``, in the order they appear."""
    return [ymd for _, ymd in shown_dates_at(text)]


def shown_dates_at(text: str) -> list[tuple[int, tuple[int, int, int]]]:
    """(position, (year, month, day)) of the dates written out in ``text``, in the order they appear."""
    found = []
    # the patterns only run on windows around the years in the text: scanning all of it with their month
    # alternations cost more than the rest of the rule
    windows = {(max(0, y.start() - 24), y.end() + 7) for y in _YEAR.finditer(text)}
    for start, end in sorted(windows):
        window = text[start:end]
        for k, pattern in enumerate(_SHOWN):
            for m in pattern.finditer(window):
                _add(found, k, m, start)
    seen, dates = set(), []
    for pos, ymd in sorted(found):  # windows overlap: each date once per position
        if pos not in seen:
            seen.add(pos)
            dates.append((pos, ymd))
    return dates


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")


def _add(found: list, k: int, m: re.Match, offset: int) -> None:
    """Append (position, (year, month, day)) of match ``m`` of pattern ``k`` when it is a real day."""
    g = m.groups()
    if k == 2:
        ymd = (int(g[0]), int(g[1]), int(g[2]))
    else:
        month, day = (g[0], g[1]) if k == 0 else (g[1], g[0])
        ymd = (int(g[2]), _MONTHS.index(month[:3].lower()) + 1, int(day))
    try:
        datetime(*ymd)
    except ValueError:
        return
    found.append((offset + m.start(), ymd))


def _spaced_text(body, limit: int = 30_000) -> str:
    """The body's visible text with a space between text nodes (text_of glues blocks: "3 March 2024Posted"
    hides the date), up to ``limit`` characters: the date a page shows stands near its top."""
    parts: list[str] = []
    size = 0
    if body is None:
        return ""
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        if not isinstance(el.tag, str):
            continue
        if event == "start" and el.tag in _INVISIBLE:
            walker.skip_subtree()
            continue
        piece = el.text if event == "start" else el.tail
        if piece and piece.strip():
            parts.append(piece)
            size += len(piece)
            if size > limit:
                break
    return " ".join(" ".join(parts).split())[:limit]


def _shown_instead(text: str, guess: datetime, default_tz: tzinfo) -> datetime | None:
    """The first date the page ``text`` shows, when it does not show htmldate's ``guess``."""
    dates = shown_dates(text)
    y, m, d = guess.year, guess.month, guess.day
    numeric = (f"{m}/{d}/{y}", f"{m:02d}/{d:02d}/{y}", f"{d}/{m}/{y}", f"{d:02d}/{m:02d}/{y}", f"{d:02d}.{m:02d}.{y}",
               f"{d}.{m}.{y}", f"{y}/{m:02d}/{d:02d}", f"{y}.{m:02d}.{d:02d}")
    if not dates or (y, m, d) in dates or (str(y) in text and any(re.search(rf"(?<![\d/.]){re.escape(n)}(?![\d/])", text)
                                                                for n in numeric)):
        return None
    return datetime(*dates[0], tzinfo=default_tz)


#: a date label or a byline just before a date: "Last updated:", "Published on", "by Jane Doe", "Updated |"
_LABEL_BEFORE = re.compile(r"(?:\b(?:updated|published|posted|modified|reviewed|aktualisiert|ver\u00f6ffentlicht|"
                           r"publi\u00e9|mis \u00e0 jour|publicado|actualizado|pubblicato|aggiornato|gepubliceerd|"
                           r"bijgewerkt)(?:\s+(?:on|am|le|el|il|op))?|\bby:?\s+(?:[A-Z][\w.'-]*\s+){0,3}[A-Z][\w.'-]*)"
                           r"\s*[:|\u2022\u00b7\u2013\u2014-]?\s*$", re.I)


def _labelled_first(text: str, guess: datetime, default_tz: tzinfo) -> datetime | None:
    """The first date the page ``text`` shows, when it is another day than htmldate's ``guess`` and a date label
    or a byline stands right before it."""
    dates = shown_dates_at(text)
    if not dates or dates[0][1] == (guess.year, guess.month, guess.day):
        return None
    pos, ymd = dates[0]
    return datetime(*ymd, tzinfo=default_tz) if _LABEL_BEFORE.search(text[max(0, pos - 40):pos]) else None


def extract_dates(pm: PageMeta, root, html: str, url: str | None, default_tz: tzinfo, tuning: Tuning = DEFAULT
                  ) -> tuple[datetime | None, str, datetime | None, str, list[str]]:
    """(published, rule, updated, rule, unreadable), by ``tuning``'s date rules (``date_*``; the shipped ones by
    default, so the probe of a seed page and its full extraction date it alike).

    ``unreadable`` says which dates the page states but cannot be read, when no other rule found one: the
    caller warns, and the document is published as if it gave no date."""
    published, prule = None, ""
    text: list[str] = []

    def page_text() -> str:
        """The page's visible text, read once for the rules that compare dates with it."""
        if not text:
            text.append(_spaced_text(root.find(".//body")))
        return text[0]

    # measured on wcxb-dev: meta published-time tags agree with the date shown on the page most often (0.95),
    # then a visible <time> in the article (0.86), JSON-LD datePublished (0.75-0.88), itemprop datePublished;
    # htmldate (0.84 alone) only when none of them is there
    candidates = []
    for key in _PUBLISHED_META:
        value = pm.meta(key)
        if value:
            candidates.append((value, f"meta {key}"))
            break
    candidates.append(_visible_time(root, tuning))
    candidates.append(_ld_dates(pm, ("datePublished", "dateCreated", "uploadDate", "startDate")))
    candidates.append(_time_elements(root))
    for value, rule in candidates:
        dt = parse_date(value, default_tz)
        if dt is not None:
            published, prule = dt, rule
            break
    if tuning.date_ld_shown and prule.startswith("json-ld") and published is not None:
        shown = shown_dates(page_text())
        if shown and shown[0] != (published.year, published.month, published.day):
            published, prule = datetime(*shown[0], tzinfo=default_tz), f"first date shown in the text ({prule} is not)"
    stated = [(value, rule) for value, rule in candidates if value and value.strip()]
    if published is None and tuning.date_text:
        published, prule = _text_dates(root, default_tz)
    # A page that states its date in a way nobody can read gets no guess (htmldate would make "2024-13-45" into
    # 2024-01-01): the caller warns and dates it as if it stated none.
    if published is None and not stated:
        try:
            from htmldate import find_date

            found = find_date(root, url=url, original_date=True, extensive_search=tuning.date_extensive)
        except Exception:  # noqa: BLE001
            found = None
        dt = parse_date(found, default_tz)
        if dt is not None:
            published, prule = dt, "htmldate (original date)"
            shown = _shown_instead(page_text(), dt, default_tz) if tuning.date_visible else None
            if shown is not None:
                published, prule = shown, "first date shown in the text (htmldate's guess is not shown)"
            elif tuning.date_htmldate_labelled:
                shown = _labelled_first(page_text(), dt, default_tz)
                if shown is not None:
                    published, prule = shown, "first date shown in the text, after a label or byline"
    unreadable = []
    if published is None:
        unreadable += [f"published date {value.strip()[:80]!r} ({rule}) is not a date" for value, rule in stated[:1]]
    updated, urule = None, ""
    value, rule = _ld_dates(pm, ("dateModified",))
    if not value:
        for key in _MODIFIED_META:
            value = pm.meta(key)
            if value:
                rule = f"meta {key}"
                break
    dt = parse_date(value, default_tz)
    if dt is not None:
        updated, urule = dt, rule
    elif value and value.strip():
        unreadable.append(f"updated date {value.strip()[:80]!r} ({rule}) is not a date")
    return published, prule, updated, urule, unreadable
