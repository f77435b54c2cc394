"""The ``--help`` epilogs: exit statuses and examples, kept out of ``main.py`` so the parser stays readable."""

EPILOG = """\
exit status: 0 published (skipped documents are reported on stderr and still exit 0),
1 configuration error, 2 usage error, 3 output or state not writable, 4 another run holds the lock.
"""

# Every command's --help ends with examples (tests/test_cli_docs.py checks each has one).
EXAMPLES = {
    "seedfeed": """\
examples:
  seedfeed init                       write a commented seedfeed.toml and a seeds/ folder
  seedfeed build                      publish ./seeds into ./output
  seedfeed check                      lint what is published; non-zero exit if something is wrong
""",
    "build": """\
examples:
  seedfeed build                                   publish ./seeds into ./output
  seedfeed build --dry-run                         say what would change; write nothing
  seedfeed build --base-url https://example.org/feeds/ --url https://example.org/about
""",
    "extract": """\
examples:
  seedfeed extract https://example.org/news/article-1
  seedfeed extract saved.html --url https://example.org/news/article-1
""",
    "serve": """\
examples:
  seedfeed serve                                   serve ./output at http://127.0.0.1:8000/
  seedfeed serve --listen 0.0.0.0:8080 --output /srv/feeds
""",
    "daemon": """\
examples:
  seedfeed daemon --serve 127.0.0.1:8000           build, watch seeds, poll URLs, and serve
  seedfeed daemon --config /etc/seedfeed.toml --log-format json
""",
    "status": """\
examples:
  seedfeed status
  seedfeed status --json --max-periods 5
""",
    "check": """\
examples:
  seedfeed check                                   lint every feed of ./seedfeed.toml (or ./output)
  seedfeed build && seedfeed check --strict && rsync -a output/ host:/srv/feeds/

exit status: 0 no errors (warnings are printed), 1 errors found (with --strict: or warnings),
or a configuration error; 2 usage error.
""",
    "init": """\
examples:
  seedfeed init                                    write ./seedfeed.toml and ./seeds/
  seedfeed init --config sites/blog/seedfeed.toml

exit status: 0 written, 1 the file exists already (init never overwrites), 3 cannot write.
""",
    "state": """\
examples:
  seedfeed state init --state postgresql://seedfeed@db.internal/seedfeed
  seedfeed state migrate --from .seedfeed/state.sqlite --to postgresql://seedfeed@db.internal/seedfeed
""",
    "worker": """\
examples:
  seedfeed worker --state postgresql://seedfeed@db.internal/seedfeed --concurrency 8
  seedfeed worker --config /etc/seedfeed.toml --dispatch-every 30s
""",
    "dispatch": """\
examples:
  seedfeed dispatch --state postgresql://seedfeed@db.internal/seedfeed
""",
}
