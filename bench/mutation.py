"""Mutation testing of the guard modules with cosmic-ray, run by hand (never in CI).

    pip install -e '.[mutation]'
    python bench/mutation.py --list                 # the guard modules and the tests each one is checked with
    python bench/mutation.py sanitizer publisher    # run (or resume) those; prints run / killed / survived
    python bench/mutation.py --report sanitizer     # the score and every survivor's diff, without running
    python bench/mutation.py --recheck sanitizer    # run only the survivors again, against the tests as they are now
    python bench/mutation.py --since 3438339 sanitizer   # only the lines changed since that full run (git checkout)

Each guard module is mapped to the test files that claim to guard it, so one mutant costs one short pytest run
(``-x``: the first failure kills it) instead of the whole suite. cosmic-ray edits the module *in place* for each
mutant and puts it back afterwards: run this on a clean checkout you are not editing, and never commit while it
runs (the script checks the module is back to its original bytes at the end and restores it if not). Never run
two sessions in the same copy: one session's mutant breaks the other's tests (test_web.py builds with the store,
for one) and counts as a kill there. Run them at once only in separate copies, each with its own venv; a kill
found to be such (its mutant passes the tests when applied alone) goes into ``NAME-falsekills.json``, a JSON list
of job ids, and counts as a first-pass survivor.

Sessions live in ``bench/results/mutation/`` (not committed), so an interrupted run resumes where it stopped. The
operators are a deliberate subset (see OPERATORS_EXCLUDED): one replacement per arithmetic operator and the
boundary/negation of each comparison, plus cosmic-ray's logical, constant, exception and loop operators; the
``Add -> BitXor`` kind adds hundreds of mutants that any test kills and that say nothing about the guards.
Record the score and an explanation of every survivor in docs/testing.md.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / "bench" / "results" / "mutation"

_HOSTILE = "tests/test_hostile_http_clients.py"
_DAEMON = "tests/test_daemon.py"

#: guard name -> (module, tests that guard it, seconds before a mutant's test run counts as hung = killed)
MODULES: dict[str, tuple[str, list[str], int]] = {
    "sanitizer": ("feeds/extraction/sanitize.py",
                  ["tests/test_sanitize.py",
                   "tests/test_hostile_markup.py::test_the_sanitizer_itself_leaves_nothing_executable_in_any_vector",
                   "tests/test_formats.py", "tests/test_render.py"], 120),
    "ssrf-guard": ("feeds/fetch/netguard.py",
                   ["-k", "not 5000_links", "tests/test_fetch.py", "tests/test_url_faults.py"], 180),
    "publisher": ("feeds/publish.py",
                  ["tests/test_publish.py", "tests/test_harden_links.py",
                   "tests/test_promises.py::test_a_replaced_feed_file_is_kept_in_previous_beside_the_state",
                   "tests/test_dry_run.py", "tests/test_crash_points.py", "tests/test_crash_disk.py",
                   "tests/test_crash_concurrency.py::test_two_builds_at_once_with_the_default_wait_both_succeed",
                   "tests/test_crash_concurrency.py::test_two_builds_at_once_with_no_wait_one_loses_and_says_why"], 180),
    "merge-identity": ("feeds/state/merge.py",
                       ["tests/test_merge.py", "tests/test_identity.py", "tests/test_golden.py",
                        "tests/test_properties.py"], 180),
    # The modules below list their tests fastest killer first (pytest keeps the order it is given, and -x stops
    # at the first failure), narrowed with node ids or "-k" to the tests that really guard the module.
    "store-commit": ("feeds/state/store.py",
                     ["-k", "not postgresql",
                      "tests/test_cold_store.py", "tests/test_store_conformance.py", "tests/test_identity.py",
                      "tests/test_window.py", "tests/test_archives.py", "tests/test_status.py", "tests/test_dry_run.py",
                      "tests/test_crash_points.py"], 300),
    "serve-app": ("feeds/serve/app.py",
                  ["tests/test_serve.py", f"{_HOSTILE}::test_odd_requests_get_the_status_the_rfcs_ask_for",
                   "tests/test_archives.py::test_archives_hold_every_item_once_and_full_pages_never_change"],
                  120),
    "serve-http": ("feeds/serve/http.py",
                   [f"{_HOSTILE}::test_the_three_http_date_forms_are_read_and_nothing_else", "tests/test_serve.py",
                    f"{_HOSTILE}::test_odd_requests_get_the_status_the_rfcs_ask_for"],
                   120),
    "fetcher": ("feeds/fetch/fetcher.py",
                ["tests/test_fetch.py",
                 "tests/test_web.py::test_refetch_answered_304_changes_nothing_and_an_edit_keeps_the_id",
                 "tests/test_web.py::test_build_sends_the_stored_last_modified_and_a_304_changes_nothing",
                 "tests/test_web.py::test_failing_source_keeps_its_item_and_is_reported",
                 "tests/test_web.py::test_410_gone_retires_the_item"], 180),
    "watcher": ("scheduler/watch.py",
                ["tests/test_event_runs.py",
                 "tests/test_daemon.py::test_seed_changes_are_published_while_running",
                 "tests/test_daemon.py::test_polling_fallback_picks_up_changes",
                 "tests/test_daemon.py::test_seed_changes_are_picked_up_within_a_second"], 240),
    "daemon-signals": ("scheduler/daemon.py",
                       ["tests/test_daemon_inprocess.py", f"{_DAEMON}::test_serve_and_healthz_from_the_daemon",
                        f"{_DAEMON}::test_seed_changes_are_published_while_running",
                        f"{_DAEMON}::test_sigterm_during_a_write_waits_for_it_then_exits_0",
                        f"{_DAEMON}::test_sighup_adds_a_source_and_a_broken_config_keeps_the_old_one",
                        f"{_DAEMON}::test_healthz_fails_until_a_build_succeeds_and_cache_control_follows_the_schedule",
                        f"{_DAEMON}::test_url_source_on_a_short_schedule_is_refetched",
                        f"{_DAEMON}::test_a_restart_does_not_refetch_sources_that_are_not_due",
                        f"{_DAEMON}::test_two_daemons_on_the_same_folders_do_not_corrupt_each_other",
                        f"{_DAEMON}::test_seed_changes_are_picked_up_within_a_second",
                        f"{_DAEMON}::test_polling_fallback_picks_up_changes",
                        "tests/test_hosted_errors.py::test_a_daemon_that_cannot_read_its_database_stops_with_the_state_error"],
                       240),
}

_KEEP_BINARY = "Add_Sub|Sub_Add|Mul_Div|Div_Mul|FloorDiv_Mul"
_KEEP_COMPARE = "Eq_NotEq|NotEq_Eq|Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Is_IsNot|IsNot_Is"
OPERATORS_EXCLUDED = [
    rf"core/ReplaceBinaryOperator_(?!(?:{_KEEP_BINARY})$).*",
    rf"core/ReplaceComparisonOperator_(?!(?:{_KEEP_COMPARE})$).*",
    r"core/ReplaceUnaryOperator_.*",
    r"core/VariableInserter",
    r"core/VariableReplacer",
]


def config_text(name: str) -> str:
    module, tests, timeout = MODULES[name]
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *tests]
    excluded = ", ".join(json.dumps(e) for e in OPERATORS_EXCLUDED)
    return (f'[cosmic-ray]\nmodule-path = "{module}"\ntimeout = {float(timeout)}\nexcluded-modules = []\n'
            f"test-command = {json.dumps(shlex.join(command))}\n\n"
            f'[cosmic-ray.distributor]\nname = "local"\n\n'
            f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n")


def cosmic(*args: str) -> subprocess.CompletedProcess[str]:
    bindir = Path(sys.executable).parent
    tool = args[0] if args[0].startswith("cr-") else "cosmic-ray"
    rest = args[1:] if tool == args[0] else args
    return subprocess.run([str(bindir / tool), *rest], cwd=ROOT, capture_output=True, text=True, check=True)


def results(session: Path) -> list[tuple[dict, dict | None]]:
    return [tuple(json.loads(line)) for line in cosmic("dump", str(session)).stdout.splitlines() if line.strip()]


def report(name: str) -> dict[str, int]:
    """Counts of the stored session: first pass (cosmic-ray's own outcome, less the kills listed in
    ``NAME-falsekills.json``) and now (after ``--recheck`` with the tests as they are now)."""
    session = SESSIONS / f"{name}.sqlite"
    counts = {"mutants": 0, "run": 0, "killed": 0, "survived": 0, "first_killed": 0, "first_survived": 0,
              "timeout": 0, "incompetent": 0, "pending": 0, "filtered": 0}
    survivors = []
    rechecked = _load_recheck(name)
    false_kills = _load_false_kills(name)
    for job, result in results(session):
        if result is None:
            counts["pending"] += 1
            continue
        outcome, worker = result.get("test_outcome"), result.get("worker_outcome")
        if worker == "skipped":          # removed by the operator filter: not a mutant of this run
            counts["filtered"] += 1
            continue
        if outcome == "incompetent":     # the mutant could not even be imported
            counts["incompetent"] += 1
            continue
        counts["run"] += 1
        first_killed = (worker == "abnormal" or outcome == "killed") and job["job_id"] not in false_kills
        counts["first_killed" if first_killed else "first_survived"] += 1
        if worker == "abnormal" and first_killed:   # the test run hung past the timeout: the mutant was detected
            counts["timeout"] += 1
        if first_killed or rechecked.get(job["job_id"]) == "killed":
            counts["killed"] += 1
        else:
            counts["survived"] += 1
            mutation = job["mutations"][0]
            survivors.append(f"--- {mutation['operator_name']} at line {mutation['start_pos'][0]} "
                             f"(in {mutation.get('definition_name')})\n{result.get('diff', '')}")
    counts["mutants"] = counts["run"] + counts["pending"]
    (SESSIONS / f"{name}-survivors.txt").write_text("\n".join(survivors), encoding="utf-8")
    return counts


def _load_false_kills(name: str) -> set[str]:
    """Job ids whose first-pass kill did not hold when the mutant was run again alone: another session was
    mutating a module the tests also use, in the same copy (never run two sessions in one copy)."""
    path = SESSIONS / f"{name}-falsekills.json"
    return set(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else set()


def _load_recheck(name: str) -> dict[str, str]:
    path = SESSIONS / f"{name}-recheck.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def recheck(name: str) -> None:
    """Apply each survivor again and run the module's tests as they are now (after new tests were written);
    the outcome is kept beside the session, which cosmic-ray itself never re-runs."""
    module_path, tests, timeout = MODULES[name]
    module = ROOT / module_path
    original = module.read_bytes()
    outcomes = _load_recheck(name)
    false_kills = _load_false_kills(name)
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *tests]
    try:
        for job, result in results(SESSIONS / f"{name}.sqlite"):
            first_survived = result and (result.get("test_outcome") == "survived" or job["job_id"] in false_kills)
            if not first_survived or outcomes.get(job["job_id"]) == "killed":
                continue
            mutation = job["mutations"][0]
            cosmic("apply", mutation["module_path"], mutation["operator_name"], str(mutation["occurrence"]))
            try:
                done = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=timeout, check=False)
                outcomes[job["job_id"]] = "killed" if done.returncode else "survived"
            except subprocess.TimeoutExpired:   # a hang, or a machine too loaded: not a kill until run again
                outcomes[job["job_id"]] = "timeout"
            finally:
                module.write_bytes(original)
            (SESSIONS / f"{name}-recheck.json").write_text(json.dumps(outcomes, indent=1), encoding="utf-8")
    finally:
        module.write_bytes(original)


def run(name: str, since: str | None = None) -> None:
    """Run (or resume) a module's session; with ``since`` (a git revision), only the mutants on lines changed
    since it (cosmic-ray's git filter; the copy must then be a git checkout, e.g. ``git worktree add --detach``)."""
    module = ROOT / MODULES[name][0]
    original = module.read_bytes()
    SESSIONS.mkdir(parents=True, exist_ok=True)
    config, session = SESSIONS / f"{name}.toml", SESSIONS / f"{name}.sqlite"
    text = config_text(name) + (f'\n[cosmic-ray.filters.git-filter]\nbranch = "{since}"\n' if since else "")
    config.write_text(text, encoding="utf-8")
    try:
        if not session.exists():
            cosmic("init", str(config), str(session))
            cosmic("cr-filter-operators", str(session), str(config))
            if since:
                cosmic("cr-filter-git", "--config", str(config), str(session))
        cosmic("exec", str(config), str(session))
    finally:
        if module.read_bytes() != original:
            module.write_bytes(original)
            print(f"warning: {module} was left mutated; restored", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"guard modules (default: all): {', '.join(MODULES)}")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests")
    parser.add_argument("--report", action="store_true", help="only report sessions already run")
    parser.add_argument("--recheck", action="store_true", help="re-run only the survivors, with the current tests")
    parser.add_argument("--since", metavar="REV", help="a new session makes only the mutants on lines changed since "
                        "this git revision (the module changed after its full run)")
    args = parser.parse_args(argv)
    if args.list:
        for name, (module, tests, timeout) in MODULES.items():
            print(f"{name:15} {module:32} {' '.join(tests)} (timeout {timeout} s)")
        return 0
    unknown = [n for n in args.names if n not in MODULES]
    if unknown:
        parser.error(f"unknown guard module(s): {', '.join(unknown)}; see --list")
    print("| guard | module | mutants | run | first pass: killed / survived | now: killed / survived "
          "| (timeouts) | score now |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in args.names or list(MODULES):
        if args.recheck:
            recheck(name)
        elif not args.report:
            run(name, args.since)
        if not (SESSIONS / f"{name}.sqlite").exists():
            continue
        c = report(name)
        score = f"{100 * c['killed'] / (c['killed'] + c['survived']):.1f} %" if c["killed"] + c["survived"] else "—"
        print(f"| {name} | `{MODULES[name][0]}` | {c['mutants']} | {c['run']} | {c['first_killed']} / "
              f"{c['first_survived']} | {c['killed']} / {c['survived']} | {c['timeout']} | {score} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
