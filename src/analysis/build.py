"""Build: regenerate every report, in parallel, incrementally, unattended.

``python -m analysis build`` (see :func:`run`):

1. cleans ``data/raw`` into ``data/processed`` when the raw files or the package changed;
2. plans the targets: a brief per province with pilots (old and new units), language and wave,
   a national overview per language and wave; each target's dependencies are fingerprinted
   (its slice of the processed data, the cross-province summary its ranking chart uses, its
   parameters, the notebook template, the package code) and compared with the stamp of its
   last build, so only what changed is rebuilt;
3. executes the notebooks with papermill in ``jobs`` worker processes, each keeping a warm
   kernel (:mod:`analysis.engines`), and converts them to HTML in-process (one exporter per
   worker); one target's failure never stops the others;
4. writes every file atomically (HTML, Excel, executed notebook, stamp), then the index page,
   a summary and a per-run log; the exit status is 1 when anything failed.

The no-change path reads only JSON stamps and file hashes (no pandas, no kernel), so an
up-to-date rebuild takes well under a second.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import json
import logging
import multiprocessing
import os
import re
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from analysis import processes, provenance
from analysis.exceptions import AnalysisError

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
TEMPLATES = {"brief": "brief.ipynb", "overview": "national_overview.ipynb"}
KERNEL = "python3"


@dataclass(frozen=True)
class Options:
    """What to build; paths are resolved against the current folder."""

    raw: Path = Path("data/raw")
    processed: Path = Path("data/processed")
    out: Path = Path("reports")
    provinces: tuple[str, ...] = ()
    waves: tuple[int, ...] = ()
    langs: tuple[str, ...] = ("vi", "en")
    units: tuple[str, ...] = ("old", "new")
    jobs: int = os.cpu_count() or 1
    force: bool = False
    dry_run: bool = False
    overview: bool = True
    notebooks: Path = NOTEBOOKS
    generated_at: str | None = None


@dataclass(frozen=True)
class Target:
    """One report: a province brief or the national overview, for a language and wave."""

    kind: str
    lang: str
    wave: int
    period: str = ""
    code: int = 0
    name: str = ""
    slug: str = "overview"

    @property
    def stem(self) -> str:
        return f"{self.lang}/{self.wave}/{self.slug}"

    def paths(self, out: Path) -> dict[str, Path]:
        return {
            "html": out / f"{self.stem}.html",
            "xlsx": out / f"{self.stem}.xlsx",
            "executed": out / "_executed" / f"{self.stem}.ipynb",
            "stamp": out / "_state" / f"{self.stem}.json",
        }

    def running(self, out: Path, pid: int | str = "*") -> Path:
        """The hidden marker a worker (``pid``) keeps while it builds the target: one that
        dies leaves it behind, which tells what it was building. Named like a temporary file
        of that process, so that :func:`remove_stale_temps` clears those of dead workers."""
        stamp = out / "_state" / f"{self.stem}.json"
        return stamp.with_name(f".{stamp.stem}.tmp-{pid}-running")

    def parameters(self, opts: Options) -> dict:
        params = {"lang": self.lang, "wave": self.wave,
                  "data_dir": str(opts.processed.resolve())}  # fmt: skip
        if self.kind == "brief":
            params.update(province=self.code, units=self.period)
        return params


@dataclass
class Outcome:
    target: Target
    status: str  # built | up-to-date | failed | not-applicable
    reason: str = ""
    seconds: float = 0.0
    executed: str = ""
    record: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- cleaning


def clean_reason(opts: Options) -> str | None:
    """Why the processed data must be (re)made, or None when they are current."""
    manifest = opts.processed / "manifest.json"
    if not manifest.exists():
        return "no processed data"
    files = sorted(
        p for p in opts.raw.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(opts.raw).parts)
    )  # fmt: skip
    current = provenance.file_digests(files, opts.raw)
    done = json.loads(manifest.read_text("utf-8"))
    if done.get("raw_files") != current:
        return "raw data changed"
    if done.get("code_digest") not in (None, provenance.code_digest()):
        return "package code changed"
    return None


# ----------------------------------------------------------------------------- planning


def _state_path(opts: Options) -> Path:
    return opts.out / "_state" / "slices.json"


def _slices(opts: Options) -> dict:
    """Fingerprints of every province's slice of the processed data (cached per manifest)."""
    manifest_digest = provenance.file_digest(opts.processed / "manifest.json")
    cache = _state_path(opts)
    if cache.exists():
        state = json.loads(cache.read_text("utf-8"))
        if state.get("manifest") == manifest_digest:
            return state
    state = {"manifest": manifest_digest, **_compute_slices(opts)}
    from analysis import store

    store.write(state, cache)
    return state


def _compute_slices(opts: Options) -> dict:
    from analysis import dataset
    from analysis.catalogue import load

    data = dataset.load(opts.processed)
    headline = load().headline("commune")
    slices, provinces = {}, []
    for period in ("old", "new"):
        col = f"province_code_{period}"
        summary = data.communes.groupby(["wave", col])[headline].mean()
        slices[f"summary:{period}"] = _frame_digest(summary.reset_index())
        communes = _slice_digests(data.communes, col)
        households = _slice_digests(data.households, col)
        empty = _frame_digest(data.households.iloc[0:0])
        by_province = data.communes.groupby(col)
        pilots = by_province["pilot"].sum()
        waves = by_province["wave"].unique()
        treated = data.communes[data.communes["treated"]].groupby(col)["wave"].unique()
        sizes = by_province.size().add(data.households.groupby(col).size(), fill_value=0)
        for place in data.provinces(period):
            slices[f"{period}:{place.code}"] = communes[place.code] + households.get(
                place.code, empty
            )
            provinces.append({
                "period": period, "code": place.code, "name": place.name, "slug": place.slug,
                "pilots": int(pilots[place.code]),
                "rows": int(sizes.get(place.code, 0)),
                "treated_waves": sorted(int(w) for w in treated.get(place.code, [])),
                "waves": sorted(int(w) for w in waves[place.code]),
            })  # fmt: skip
    slices["all"] = provenance.json_digest(data.manifest.get("raw_files", {}))
    return {"slices": slices, "provinces": provinces, "waves": data.waves}


def _frame_digest(df) -> str:
    import pandas as pd

    return _rows_digest(df, pd.util.hash_pandas_object(df, index=False).to_numpy())


def _rows_digest(df, row_hashes) -> str:
    return provenance.json_digest([list(df.columns), row_hashes.tobytes().hex()])[:16]


def _slice_digests(df, col: str) -> dict[int, str]:
    """:func:`_frame_digest` of the rows of each value of ``df[col]`` (the rows are hashed once,
    not once per province)."""
    import pandas as pd

    if df.empty or col not in df:
        return {}
    rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
    return {int(code): _rows_digest(df, rows[at]) for code, at in df.groupby(col).indices.items()}


def plan(opts: Options) -> tuple[list[Target], list[Outcome]]:
    """Targets to build, and those skipped (not applicable or filtered)."""
    state = _slices(opts)
    skipped: list[Outcome] = []
    waves = opts.waves or (state["waves"][-1],)
    wanted = None
    if opts.provinces:
        wanted = {key for name in opts.provinces for key in _wanted(name, opts.units, state)}
        if not wanted:
            raise AnalysisError(f"none of the provinces {list(opts.provinces)} is known")
    targets = []
    for wave in waves:
        for lang in opts.langs:
            if opts.overview and wanted is None:
                targets.append(Target("overview", lang, wave))
            for p in state["provinces"]:
                if p["period"] not in opts.units:
                    continue
                if wanted is not None and (p["period"], p["code"]) not in wanted:
                    continue
                target = Target("brief", lang, wave, p["period"], p["code"], p["name"], p["slug"])
                if p["pilots"] == 0:
                    skipped.append(Outcome(target, "not-applicable", "no pilot communes"))
                elif wave not in p["waves"]:
                    skipped.append(Outcome(target, "not-applicable", f"no data for wave {wave}"))
                elif wave not in p["treated_waves"]:
                    reason = f"no pilot commune under way by wave {wave}"
                    skipped.append(Outcome(target, "not-applicable", reason))
                else:
                    targets.append(target)
    return targets, skipped


def _wanted(name: str, periods: tuple[str, ...], state: dict) -> set[tuple[str, int]]:
    """(period, code) of the provinces ``name`` means. A GSO code is looked up in the build
    state without loading anything (the no-change path stays fast); a name goes through
    :func:`analysis.dataset.resolve_province`."""
    if str(name).strip().isdigit():
        return {(p["period"], p["code"]) for p in state["provinces"]
                if p["code"] == int(name) and p["period"] in periods}  # fmt: skip
    from analysis.dataset import resolve_province

    found = set()
    for period in periods:
        try:
            place = resolve_province(name, period)  # type: ignore[arg-type]
        except AnalysisError:
            continue
        found.add((place.period, place.code))
    return found


def dependencies(target: Target, opts: Options, state: dict) -> dict[str, str]:
    """Fingerprint of each thing a target depends on."""
    template = opts.notebooks / TEMPLATES[target.kind]
    if target.kind == "brief":
        data = (state["slices"][f"{target.period}:{target.code}"]
                + state["slices"][f"summary:{target.period}"])  # fmt: skip
    else:
        data = state["slices"]["all"]
    return {
        "data": data,
        "parameters": provenance.json_digest(target.parameters(opts)),
        "template": provenance.file_digest(template),
        "code": provenance.code_digest(),
    }


def stale(target: Target, opts: Options, deps: dict[str, str]) -> str | None:
    """Why a target must be rebuilt, or None when it is up to date."""
    if opts.force:
        return "forced"
    paths = target.paths(opts.out)
    if not paths["stamp"].exists() or not paths["html"].exists():
        return "not built yet"
    old = json.loads(paths["stamp"].read_text("utf-8")).get("deps", {})
    changed = [k for k in deps if old.get(k) != deps[k]]
    return f"{', '.join(changed)} changed" if changed else None


# ----------------------------------------------------------------------------- execution

_worker: dict = {}


def _init_worker(notebooks: str) -> None:
    """Worker set-up: load papermill, the engine and the exporter once; stop the kernel at exit."""
    from multiprocessing.util import Finalize

    import nbformat

    from analysis.engines import WarmEngine

    logging.getLogger("papermill").setLevel(logging.WARNING)
    folder = Path(notebooks)
    _worker["templates"] = {
        k: nbformat.read(folder / v, as_version=4)
        for k, v in TEMPLATES.items()
        if (folder / v).exists()
    }
    Finalize(None, WarmEngine.shutdown, exitpriority=10)


def execute(target: Target, opts: Options, deps: dict[str, str]) -> Outcome:
    """Execute one target's notebook and write its outputs (in a worker process)."""
    if not _worker:
        _init_worker(str(opts.notebooks))
    start = time.perf_counter()
    paths = target.paths(opts.out)
    running = target.running(opts.out, os.getpid())
    running.parent.mkdir(parents=True, exist_ok=True)
    running.touch()
    try:
        return _execute(target, opts, deps, paths, start)
    finally:
        running.unlink(missing_ok=True)


def _execute(
    target: Target, opts: Options, deps: dict[str, str], paths: dict, start: float
) -> Outcome:
    import copy

    import nbformat
    import papermill as pm
    from nbclient.exceptions import DeadKernelError

    from analysis import render, store
    from analysis.engines import WarmEngine
    from analysis.render import RECORD_MIME

    params = target.parameters(opts)
    params.update(generated_at=opts.generated_at)
    if target.kind == "brief":
        params.update(excel_path=str(paths["xlsx"].resolve()), excel_name=paths["xlsx"].name)
    nb = copy.deepcopy(_worker["templates"][target.kind])
    paths["executed"].parent.mkdir(parents=True, exist_ok=True)
    with store.atomic_path(paths["executed"]) as executed:  # kept, failed or not, for audit
        try:
            nb = pm.execute_notebook(
                nb,
                str(executed),
                parameters=params,
                engine_name="warm",
                kernel_name=KERNEL,
                progress_bar=False,
                request_save_on_cell_execute=False,
                cwd=str(opts.notebooks),
            )
        except pm.PapermillExecutionError as exc:
            failure = f"{exc.ename}: {exc.evalue}"
        except (DeadKernelError, RuntimeError, TimeoutError) as exc:
            WarmEngine.shutdown()
            # papermill saved nothing: keep the cells that ran (or the template), not an empty file
            nbformat.write(getattr(exc, "notebook", nb), str(executed))
            failure = f"kernel failed: {exc}"
        else:
            failure = None
    if failure is not None:
        seconds = time.perf_counter() - start
        return Outcome(target, "failed", failure, seconds, str(paths["executed"]))
    record = next((o["data"][RECORD_MIME] for c in nb.cells for o in c.get("outputs", [])
                   if RECORD_MIME in o.get("data", {})), {})  # fmt: skip
    title = record.get("title", target.name or "Overview")
    store.write(render.notebook_to_html(nb, title=title, lang=target.lang), paths["html"])
    seconds = time.perf_counter() - start
    store.write({"target": asdict(target), "deps": deps, "record": record}, paths["stamp"])
    return Outcome(target, "built", "", seconds, str(paths["executed"]), record)


#: pools of workers a run starts for the reports still to build when a worker process dies
MAX_POOLS = 3
_LOST, _SUSPECT = "lost", "suspect"  # (see _pool_run)


def _run_all(jobs: list[tuple[Target, dict]], opts: Options) -> list[Outcome]:
    """Execute targets in ``opts.jobs`` worker processes; report progress as they finish.

    A worker process that dies (killed, out of memory) breaks its pool and stops the other
    workers too. The reports not yet started go to a new pool (up to :data:`MAX_POOLS`); those
    being built at that moment are built again afterwards, each alone in a pool of its own, so
    that only a report that kills its worker every time fails, with that reason.
    """
    outcomes: list[Outcome] = []
    if not jobs:
        return outcomes
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="building reports", unit="report")

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        why = f": {outcome.reason}" if outcome.reason else ""
        line = (f"[{len(outcomes)}/{len(jobs)}] {outcome.status} {outcome.target.stem} "
                f"({outcome.seconds:.1f} s){why}")  # fmt: skip
        (log.warning if outcome.status == "failed" else log.info)(line)
        if bar is not None:
            bar.update(1)

    todo, suspects = list(jobs), []
    for _ in range(MAX_POOLS):
        lost = []
        for target, deps, outcome in _pool_run(todo, opts):
            if outcome == _LOST:
                lost.append((target, deps))
            elif outcome == _SUSPECT:
                suspects.append((target, deps))
            else:
                done(outcome)
        if not lost:
            break
        log.warning("a worker process died: %d report(s) go to new workers", len(lost))
        todo = lost
    else:
        for target, _ in lost:
            done(Outcome(target, "failed", "worker processes kept dying before building it"))
    for target, deps in suspects:
        log.warning("building %s again, alone: its worker process died", target.stem)
        for _, _, outcome in _pool_run([(target, deps)], opts):
            if outcome in (_LOST, _SUSPECT):
                outcome = Outcome(target, "failed", "its worker process died while building it "
                                  "(killed, or out of memory), twice")  # fmt: skip
            done(outcome)
    if bar is not None:
        bar.close()
    if suspects:
        remove_stale_temps(opts.out)  # what the dead workers were writing
    return outcomes


def _pool_run(jobs: list[tuple[Target, dict]], opts: Options):
    """(target, deps, outcome) as each target finishes in one pool of workers. When the pool
    breaks, the outcome is ``_SUSPECT`` for a target that was being built (its ``running``
    marker is there) and ``_LOST`` for one not yet started."""
    workers = max(1, min(opts.jobs, len(jobs)))
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with cf.ProcessPoolExecutor(
        workers, mp_context=ctx, initializer=_init_worker, initargs=(str(opts.notebooks),)
    ) as pool:
        futures = {
            pool.submit(execute, target, opts, deps): (target, deps) for target, deps in jobs
        }
        for future in cf.as_completed(futures):
            target, deps = futures[future]
            try:
                yield target, deps, future.result()
            except BrokenProcessPool:
                marker = target.running(opts.out)
                running = list(marker.parent.glob(marker.name))
                yield target, deps, _SUSPECT if running else _LOST
                for path in running:
                    path.unlink(missing_ok=True)
            except Exception as exc:  # anything else that escaped execute()
                yield target, deps, Outcome(target, "failed", f"{type(exc).__name__}: {exc}")


def brief_parameters(notebook: Path) -> dict[str, object]:
    """The parameters the notebook's ``parameters`` cell declares, with their defaults."""
    import papermill as pm

    return {k: v["default"] for k, v in pm.inspect_notebook(str(notebook)).items()}


def render_one(params: dict[str, object], opts: Options) -> Outcome:
    """Check a brief's parameters (before any kernel starts), then build that one brief.

    Unknown parameter names, an unknown province (with the closest names), a wave not in the
    data and a province without pilots raise :class:`ParameterError` with a clear message.
    """
    from analysis.brief import BriefParams, resolve
    from analysis.dataset import ParameterError

    known = brief_parameters(opts.notebooks / TEMPLATES["brief"])
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ParameterError(f"unknown parameter(s) {unknown}; the brief takes {sorted(known)}")
    if clean_reason(opts):
        from analysis import clean

        clean.run(opts.raw, opts.processed)
    fields = {k: v for k, v in params.items() if k in BriefParams.__dataclass_fields__}
    place, wave, _ = resolve(BriefParams(**{**fields, "data_dir": str(opts.processed)}))
    lang = str(params.get("lang", "vi"))
    target = Target("brief", lang, wave, place.period, place.code, place.name, place.slug)
    return execute(target, opts, {"adhoc": provenance.json_digest(params)})


# ----------------------------------------------------------------------------- the command


def _log_file(opts: Options) -> logging.FileHandler:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = opts.out / "_logs" / f"build-{stamp}-{os.getpid()}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger("analysis").addHandler(handler)
    return handler


#: A temporary file of :func:`analysis.store.atomic_path`: ``.<name>.tmp-<pid>-<random><suffix>``.
_TEMP = re.compile(r"\..*\.tmp-(\d+)-[^/]*")


def remove_stale_temps(out: Path) -> list[Path]:
    """Delete the temporary files that a killed build left under ``out`` (never shown: hidden,
    never renamed into place), and its workers' markers; those of a process still running are
    left alone."""
    removed = processes.remove_orphans(out.rglob(".*.tmp-*"), _TEMP)
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted build", len(removed))
    return removed


def _index_stale(out: Path) -> bool:
    """True when a report's stamp is newer than the index (a build killed before the index)."""
    index = out / "index.html"
    if not index.exists():
        return True
    written = index.stat().st_mtime_ns
    return any(
        p.stat().st_mtime_ns > written
        for p in (out / "_state").rglob("*.json")
        if p.name != "slices.json"
    )


def run(opts: Options) -> list[Outcome]:
    """Clean if needed, then build what is out of date; return every target's outcome."""
    if opts.dry_run:
        return _run(opts)
    handler = _log_file(opts)  # this run's log only: removed when the run ends
    try:
        log.debug("log file %s", handler.baseFilename)
        remove_stale_temps(opts.out)
        return _run(opts)
    finally:
        logging.getLogger("analysis").removeHandler(handler)
        handler.close()


def _run(opts: Options) -> list[Outcome]:
    started = time.perf_counter()
    reason = clean_reason(opts)
    if reason:
        log.info("cleaning %s → %s (%s)", opts.raw, opts.processed, reason)
        if opts.dry_run:
            log.info("dry run: would clean, then rebuild every report")
            return []
        from analysis import clean

        clean.run(opts.raw, opts.processed)
    if opts.generated_at is None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        opts = Options(**{**asdict(opts), "generated_at": now})
    targets, skipped = plan(opts)
    state = _slices(opts)
    jobs, outcomes = [], list(skipped)
    for target in targets:
        deps = dependencies(target, opts, state)
        why = stale(target, opts, deps)
        if why is None:
            outcomes.append(Outcome(target, "up-to-date"))
        else:
            jobs.append((target, deps))
            if opts.dry_run:
                log.info("would build %s: %s", target.stem, why)
    if opts.dry_run:
        log.info(
            "dry run: %d to build, %d up to date, %d not applicable",
            len(jobs),
            sum(o.status == "up-to-date" for o in outcomes),
            len(skipped),
        )
        return outcomes + [Outcome(t, "would-build") for t, _ in jobs]
    # largest first: the last reports to finish are small ones, so no worker idles long at the end
    size = {(p["period"], p["code"]): p.get("rows", 0) for p in state["provinces"]}
    jobs.sort(key=lambda job: -size.get((job[0].period, job[0].code), 1 << 62))
    outcomes += _run_all(jobs, opts)
    if any(o.status == "built" for o in outcomes) or _index_stale(opts.out):
        from analysis.index import write_index

        write_index(opts.out)
    _summary(outcomes, time.perf_counter() - started)
    return outcomes


def _summary(outcomes: list[Outcome], seconds: float) -> None:
    counts = {s: sum(o.status == s for o in outcomes)
              for s in ("built", "up-to-date", "not-applicable", "failed")}  # fmt: skip
    if counts["built"] == 0 and counts["failed"] == 0:
        log.info("everything is up to date (%d reports, %.2f s)", counts["up-to-date"], seconds)
        return
    log.info(
        "built %(built)d, up to date %(up-to-date)d, not applicable %(not-applicable)d, "
        "failed %(failed)d",
        counts,
    )
    for o in outcomes:
        if o.status == "failed":
            log.error(
                "FAILED %s: %s (executed notebook: %s)",
                o.target.stem,
                o.reason,
                o.executed or "none",
            )
    log.info("done in %.1f s", seconds)
