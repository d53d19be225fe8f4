"""Scoring rubrics kept as data (``forms/scoring.yaml``).

A rubric turns a household's answers into the five livelihood capitals (each 1.00–4.00), their
mean, the household class (อยู่ลำบาก / อยู่ยาก / อยู่พอได้ / อยู่ดี by configurable bands), the TPMAP
five-dimension deprivation flags and whether income per person is below the income line. Every
score can explain itself: ``Rubric.explain(data)`` lists each indicator, the answers it read and the
points it gave.

Missing is never "not poor": an indicator that applies to the household but cannot be scored from
its answers is *unknown*. Each capital carries its coverage (indicators answered / applicable); the
class is given only when every capital's coverage reaches the rubric's ``min_coverage`` and no
answer to the unknown indicators could move the mean into another band. Otherwise the household is
"ยังประเมินไม่ได้" and the questions still to ask are listed.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from fieldapp import expr, scorecode
from fieldapp.errors import ExpressionError, FormDefinitionError
from fieldapp.forms.expressions import make_resolver
from fieldapp.forms.yamlfile import YAML_LOADER, labels
from fieldapp.scorecode import clamp

if TYPE_CHECKING:
    from fieldapp.forms import Form

CAPITALS = ("human", "physical", "financial", "natural", "social")
DEFAULT_OUTPUTS = {
    "mean": "cap_mean",
    "class": "poverty_class",
    "tpmap": "tpmap_flags",
    "below_income_line": "below_income_line",
    "income_per_capita": "income_per_capita",
    "coverage": "score_coverage",
    "status": "score_status",
    "missing": "score_missing",
    "welfare": "welfare_flags",
}
# outputs written only when the form has the field
OPTIONAL_OUTPUTS = ("coverage", "status", "missing", "welfare")
RUBRIC_KEYS = {
    "form",
    "period",
    "income_line",
    "min_coverage",
    "class_bands",
    "capitals",
    "tpmap",
    "welfare",
    "outputs",
    "applies",
}
ASSESSED = "assessed"
UNASSESSABLE = "unassessable"
NOT_INTERVIEWED = "not_interviewed"
"""The status of a household the rubric does not apply to (``applies`` false: visited but not
interviewed): it has no scores and no class, and is counted apart from every class and from the
households still to be assessed."""
# an indicator's state for one household
SCORED, UNKNOWN, NOT_APPLICABLE = "scored", "unknown", "not_applicable"


@dataclass
class Indicator:
    id: str
    label: dict[str, str]
    value: expr.Expression | None
    points: expr.Expression | None
    bands: list[tuple[float, int]] = field(default_factory=list)
    mapping: dict[str, int] = field(default_factory=dict)
    applies: expr.Expression | None = None
    """When false the indicator does not concern the household (not counted in the coverage);
    without it the indicator always applies, so an empty value is unknown, never "not poor"."""
    asks: list[str] = field(default_factory=list)
    """The questions (``field`` or ``repeat.field``) to ask when the indicator is unknown."""

    def applies_to(self, data: dict[str, Any]) -> bool:
        if self.applies is None:
            return True
        try:
            v = self.applies.fn(data, None)
        except expr.CALCULATION_ERRORS:
            return True  # cannot tell: it may apply, so it counts (as unknown when unscored)
        return v is True or (v is not False and expr.truthy(v))

    def assess(self, data: dict[str, Any]) -> tuple[str, Any, int | None]:
        """(state, the value read, points): state is scored, unknown or not_applicable."""
        if not self.applies_to(data):
            return NOT_APPLICABLE, None, None
        value, pts = self.score(data)
        return (UNKNOWN if pts is None else SCORED), value, pts

    def score(self, data: dict[str, Any]) -> tuple[Any, int | None]:
        """(the value read, points 1–4) — points None when the indicator is not answered."""
        try:
            if self.points is not None:
                value = self.value.fn(data, None) if self.value is not None else None
                p = expr.to_number(self.points.fn(data, None))
                if p is None:
                    return value, None
                return value, clamp(p)
            assert self.value is not None
            value = self.value.fn(data, None)
        except (ExpressionError, TypeError, ValueError, OverflowError):
            return None, None
        return value, self.value_points(value)

    def value_points(self, value: Any) -> int | None:
        """Points for a value read by ``value`` (through ``map`` or ``bands``)."""
        if value is None or value == "" or value == []:
            return None
        if self.mapping:
            return self.mapping.get(value if type(value) is str else expr.to_text(value))
        n = expr.to_number(value)
        if n is None:
            return None
        # below the first bound (a net loss) is the first band
        pts: int | None = self.bands[0][1] if self.bands else None
        for lower, points in self.bands:
            if n >= lower:
                pts = points
        return pts

    @property
    def variables(self) -> list[str]:
        names: list[str] = []
        for e in (self.value, self.points, self.applies):
            if e is not None:
                for v in e.variables:
                    if v not in names:
                        names.append(v)
        return names


@dataclass
class Capital:
    id: str
    field: str
    label: dict[str, str]
    indicators: list[Indicator]


@dataclass
class TpmapRule:
    id: str
    label: dict[str, str]
    when: expr.Expression


@dataclass
class Dimension:
    code: str
    rules: list[TpmapRule]


@dataclass
class Rubric:
    name: str
    income_line: float
    class_bands: list[tuple[str, float]]
    capitals: list[Capital]
    tpmap: list[Dimension]
    outputs: dict[str, str]
    min_coverage: float = 1.0
    """Share of applicable indicators that must be answered in every capital before a class is given."""
    period: str = ""
    """Which จปฐ. indicator set (e.g. 2560–2564) the rule labels cite."""
    welfare: list[TpmapRule] = field(default_factory=list)
    """Welfare flags kept apart from the TPMAP dimensions (not TPMAP indicators)."""
    written: tuple[str, ...] = ()
    """The optional outputs the form has fields for."""
    question_labels: dict[str, dict[str, str]] = field(default_factory=dict, repr=False, compare=False)
    # how the rubric's expressions read the form's answers (lets _capital_scores write them inline)
    resolve: expr.Resolver | None = field(default=None, repr=False, compare=False)
    applies: expr.Expression | None = None
    """When false the household is not scored at all (status ``not_interviewed``): a household
    visited without an interview has no answers to score, and no class rather than "not poor"."""

    def applies_to(self, data: dict[str, Any]) -> bool:
        if self.applies is None:
            return True
        try:
            v = self.applies.fn(data, None)
        except expr.CALCULATION_ERRORS:
            return True
        return v is True or (v is not False and expr.truthy(v))

    @functools.cached_property
    def fingerprint(self) -> str:
        """A digest of everything that decides the scores (bands, income line, indicators, rules):
        two rubrics with the same fingerprint score every household alike."""
        body = {
            "applies": self.applies.source if self.applies else None,
            "income_line": self.income_line,
            "min_coverage": self.min_coverage,
            "welfare": [[r.id, r.when.source] for r in self.welfare],
            "class_bands": self.class_bands,
            "outputs": self.outputs,
            "capitals": [
                [
                    c.id,
                    c.field,
                    [
                        [
                            i.id,
                            i.value.source if i.value else None,
                            i.points.source if i.points else None,
                            i.bands,
                            i.mapping,
                            i.applies.source if i.applies else None,
                        ]
                        for i in c.indicators
                    ],
                ]
                for c in self.capitals
            ],
            "tpmap": [[d.code, [[r.id, r.when.source] for r in d.rules]] for d in self.tpmap],
        }
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def household_class(self, mean: float | None) -> str | None:
        if mean is None:
            return None
        code: str | None = None
        for c, lower in self.class_bands:
            if mean >= lower - 1e-9:
                code = c
        return code or self.class_bands[0][0]

    @functools.cached_property
    def _capital_scores(
        self,
    ) -> Callable[[dict[str, Any]], tuple[dict[str, Any], list[tuple[float, int, int]], list[str]]]:
        """The five capital scores as one generated function (``fieldapp.scorecode``), built once;
        ``Rubric.apply`` runs it for every save."""
        return scorecode.capital_scores_function(self)

    def _class_of(
        self, stats: list[tuple[float, int, int]], scores: list[float | None]
    ) -> tuple[str | None, float | None]:
        """(class, mean) — both None unless every capital is covered enough and the unknown
        indicators, whatever their answers (1 to 4 points), would leave the class as it is."""
        if len(stats) != len(self.capitals) or any(s is None for s in scores):
            return None, None
        lows: list[float] = []
        highs: list[float] = []
        for total, n, app in stats:
            if app == 0 or n / app < self.min_coverage - 1e-9:
                return None, None
            lows.append(round((total + (app - n)) / app, 2))
            highs.append(round((total + 4 * (app - n)) / app, 2))
        low = self.household_class(round(sum(lows) / len(lows), 2))
        high = self.household_class(round(sum(highs) / len(highs), 2))
        if low != high:
            return None, None
        mean = round(sum(s for s in scores if s is not None) / len(scores), 2)
        return low, mean

    def not_applying(self) -> dict[str, Any]:
        """The outputs of a household the rubric does not apply to: every score empty."""
        out: dict[str, Any] = {c.field: None for c in self.capitals}
        for k in ("mean", "class", "tpmap", "below_income_line", *self.written):
            out[self.outputs[k]] = None
        if "status" in self.written:
            out[self.outputs["status"]] = NOT_INTERVIEWED
        return out

    def apply(self, data: dict[str, Any]) -> dict[str, Any]:
        if not self.applies_to(data):
            return self.not_applying()
        out, stats, unknown = self._capital_scores(data)
        scores = [out[c.field] for c in self.capitals]
        klass, mean = self._class_of(stats, scores)
        out[self.outputs["mean"]] = mean
        out[self.outputs["class"]] = klass
        answered = sum(n for _, n, _ in stats)
        applicable = sum(app for _, _, app in stats)
        if "coverage" in self.written:
            out[self.outputs["coverage"]] = round(answered / applicable, 2) if applicable else None
        if "status" in self.written:
            out[self.outputs["status"]] = ASSESSED if klass is not None else UNASSESSABLE
        if "missing" in self.written:
            out[self.outputs["missing"]] = self.missing_text(unknown, data) if unknown else None
        ipc = expr.to_number(data.get(self.outputs["income_per_capita"]))
        out[self.outputs["below_income_line"]] = None if ipc is None else ipc < self.income_line
        # TPMAP rules may read the scores and the income-line flag computed above
        scored = {**data, **out}
        flags = [d.code for d in self.tpmap if _any_hit(d.rules, scored)]
        out[self.outputs["tpmap"]] = flags or None
        if "welfare" in self.written:
            hits = [r.id for r in self.welfare if _any_hit([r], scored)]
            out[self.outputs["welfare"]] = hits or None
        return out

    @functools.cached_property
    def _indicators(self) -> dict[str, Indicator]:
        return {f"{c.id}.{i.id}": i for c in self.capitals for i in c.indicators}

    def missing_questions(
        self, unknown: list[str], data: dict[str, Any] | None = None, lang: str = "th"
    ) -> list[str]:
        """The labels of the questions to ask for the unknown indicators (each once); a member
        question is listed only when some member has no answer to it."""
        out: list[str] = []
        for key in unknown:
            ind = self._indicators[key]
            for q in ind.asks or []:
                head, _, tail = q.partition(".")
                if tail and data is not None:
                    rows = data.get(head) or []
                    if rows and all(r.get(tail) not in (None, "", []) for r in rows):
                        continue
                label = self.question_labels.get(q, {}).get(lang) or q
                if label not in out:
                    out.append(label)
            if not ind.asks:
                label = ind.label.get(lang) or ind.id
                if label not in out:
                    out.append(label)
        return out

    def missing_text(self, unknown: list[str], data: dict[str, Any] | None = None) -> str:
        return " / ".join(self.missing_questions(unknown, data))

    def explain(self, data: dict[str, Any]) -> dict[str, Any]:
        """What produced each score, for the summary panel and the case report."""
        if not self.applies_to(data):
            return {
                "capitals": [],
                "mean": None,
                "class": None,
                "status": NOT_INTERVIEWED,
                "coverage": None,
                "min_coverage": self.min_coverage,
                "missing": [],
                "class_bands": self.class_bands,
                "period": self.period,
                "tpmap": [],
                "welfare": [],
                "income_per_capita": None,
                "income_line": self.income_line,
                "below_income_line": None,
            }
        unknown: list[str] = []
        capitals = [self._explain_capital(cap, data, unknown) for cap in self.capitals]
        result = self.apply(data)
        scored = {**data, **result}
        dims = [_explain_dimension(d, scored) for d in self.tpmap]
        welfare = [{"id": r.id, "label": r.label, "hit": _hit(r, scored)} for r in self.welfare]
        answered_all = sum(c["answered"] for c in capitals)
        applicable_all = sum(c["applicable"] for c in capitals)
        klass = result[self.outputs["class"]]
        return {
            "capitals": capitals,
            "mean": result[self.outputs["mean"]],
            "class": klass,
            "status": ASSESSED if klass is not None else UNASSESSABLE,
            "coverage": round(answered_all / applicable_all, 2) if applicable_all else None,
            "min_coverage": self.min_coverage,
            "missing": self.missing_questions(unknown, data),
            "class_bands": self.class_bands,
            "period": self.period,
            "tpmap": dims,
            "welfare": welfare,
            "income_per_capita": data.get(self.outputs["income_per_capita"]),
            "income_line": self.income_line,
            "below_income_line": result[self.outputs["below_income_line"]],
        }

    def _explain_capital(self, cap: Capital, data: dict[str, Any], unknown: list[str]) -> dict[str, Any]:
        """One capital's score with each indicator: its state, value, points, the answers it read,
        and the questions to ask when it is unknown (its id is added to ``unknown``)."""
        inds: list[dict[str, Any]] = []
        for ind in cap.indicators:
            state, value, pts = ind.assess(data)
            if state == UNKNOWN:
                unknown.append(f"{cap.id}.{ind.id}")
            inds.append(
                {
                    "id": ind.id,
                    "label": ind.label,
                    "state": state,
                    "value": value,
                    "points": pts,
                    "answers": {v: _read(data, v) for v in ind.variables},
                    "asks": self.missing_questions([f"{cap.id}.{ind.id}"], data) if state == UNKNOWN else [],
                }
            )
        answered = [i["points"] for i in inds if i["points"] is not None]
        applicable = sum(1 for i in inds if i["state"] != NOT_APPLICABLE)
        return {
            "id": cap.id,
            "field": cap.field,
            "label": cap.label,
            "score": round(sum(answered) / len(answered), 2) if answered else None,
            "answered": len(answered),
            "applicable": applicable,
            "coverage": round(len(answered) / applicable, 2) if applicable else None,
            "indicators": inds,
        }


def _explain_dimension(d: Dimension, scored: dict[str, Any]) -> dict[str, Any]:
    """A TPMAP dimension: deprived when any rule holds, with each rule and the answers it read."""
    rules = [
        {
            "id": r.id,
            "label": r.label,
            "hit": _hit(r, scored),
            "answers": {v: _read(scored, v) for v in r.when.variables},
        }
        for r in d.rules
    ]
    return {"dimension": d.code, "deprived": any(r["hit"] for r in rules), "rules": rules}


def _any_hit(rules: list[TpmapRule], data: dict[str, Any]) -> bool:
    for rule in rules:
        try:
            v = rule.when.fn(data, None)
        except expr.CALCULATION_ERRORS:
            continue
        if v is True or (v is not False and expr.truthy(v)):
            return True
    return False


def _hit(rule: TpmapRule, data: dict[str, Any]) -> bool:
    try:
        return expr.truthy(rule.when.fn(data, None))
    except (ExpressionError, TypeError, ValueError, OverflowError):
        return False


def _read(data: dict[str, Any], name: str) -> Any:
    head, _, tail = name.partition(".")
    if tail:
        return [r.get(tail) for r in data.get(head) or []]
    return data.get(head)


def load_rubrics(path: Path, forms: dict[str, Form]) -> dict[str, Rubric]:
    """The rubrics of ``scoring.yaml`` at ``path``, each checked against the form that uses it
    (by its ``form:`` or the form's ``scoring:``); a mistake raises ``FormDefinitionError`` naming
    where it is."""
    source = path.name
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise FormDefinitionError(source, "", f"YAML error: {exc}") from exc
    if not isinstance(raw, dict):
        raise FormDefinitionError(source, "", "expected a mapping of rubric names")
    users = {f.scoring: f for f in forms.values() if f.scoring}
    rubrics: dict[str, Rubric] = {}
    for name, body in raw.items():
        if not isinstance(body, dict):
            raise FormDefinitionError(source, str(name), "a rubric must be a mapping")
        unknown = set(body) - RUBRIC_KEYS
        if unknown:
            raise FormDefinitionError(source, str(name), f"unknown keys: {', '.join(sorted(unknown))}")
        form_id = body.get("form")
        form = forms.get(form_id) if form_id else users.get(name)
        if form is None:
            raise FormDefinitionError(source, str(name), "no form uses this rubric (set 'form:')")
        rubrics[str(name)] = _RubricReader(source, str(name), form).rubric(body)
    return rubrics


class _RubricReader:
    """Reads one rubric of ``scoring.yaml`` for its form, part by part: the income line and the
    class bands, the capitals and their indicators, the TPMAP dimensions, the welfare rules."""

    def __init__(self, source: str, name: str, form: Form) -> None:
        self.source = source
        self.name = name
        self.form = form
        self.resolve = make_resolver(form, None)

    def error(self, where: str, message: str) -> FormDefinitionError:
        return FormDefinitionError(self.source, where, message)

    def compile(self, src: Any, where: str) -> expr.Expression:
        try:
            return expr.compile_expression(str(src), self.resolve)
        except ExpressionError as exc:
            raise self.error(where, exc.message_en) from exc

    def rubric(self, body: dict[str, Any]) -> Rubric:
        name, form = self.name, self.form
        line = body.get("income_line")
        if not isinstance(line, (int, float)) or isinstance(line, bool) or line <= 0:
            raise self.error(f"{name}.income_line", "must be a positive number")
        bands = self.class_bands(body.get("class_bands"))
        outputs = {**DEFAULT_OUTPUTS, **(body.get("outputs") or {})}
        capitals = [self.capital(ci, c) for ci, c in enumerate(body.get("capitals") or [])]
        if sorted(c.id for c in capitals) != sorted(CAPITALS):
            raise self.error(f"{name}.capitals", f"needs each of {', '.join(CAPITALS)} once")
        dims = [self.dimension(di, d) for di, d in enumerate(body.get("tpmap") or [])]
        welfare = [
            self.rule(r, f"{name}.welfare[{ri + 1}]") for ri, r in enumerate(body.get("welfare") or [])
        ]
        cov = body.get("min_coverage", 1.0)
        if not isinstance(cov, (int, float)) or isinstance(cov, bool) or not 0 < cov <= 1:
            raise self.error(f"{name}.min_coverage", "must be a share above 0, at most 1")
        written = tuple(k for k in OPTIONAL_OUTPUTS if outputs[k] in form.fields)
        rubric = Rubric(
            name,
            float(line),
            bands,
            capitals,
            dims,
            outputs,
            min_coverage=float(cov),
            period=str(body.get("period") or ""),
            welfare=welfare,
            written=written,
            resolve=self.resolve,
            applies=self.compile(body["applies"], f"{name}.applies") if "applies" in body else None,
        )
        rubric.question_labels = {
            q: form.field_at(q).label for c in capitals for i in c.indicators for q in i.asks
        }
        _check_outputs(rubric, form, self.source)
        return rubric

    def class_bands(self, bands_raw: Any) -> list[tuple[str, float]]:
        """The livelihood classes by the lowest mean score of each, rising."""
        where = f"{self.name}.class_bands"
        if not isinstance(bands_raw, list) or not bands_raw:
            raise self.error(where, "needs a list of {code, min}")
        bands: list[tuple[str, float]] = []
        for i, b in enumerate(bands_raw):
            if not isinstance(b, dict) or "code" not in b or not isinstance(b.get("min"), (int, float)):
                raise self.error(f"{where}[{i + 1}]", "needs code and min")
            bands.append((str(b["code"]), float(b["min"])))
        if [m for _, m in bands] != sorted(m for _, m in bands):
            raise self.error(where, "bands must rise")
        return bands

    def capital(self, ci: int, c: Any) -> Capital:
        where = f"{self.name}.capitals[{ci + 1}]"
        if not isinstance(c, dict) or c.get("id") not in CAPITALS:
            raise self.error(where, f"capital id must be one of {', '.join(CAPITALS)}")
        indicators = [
            self.indicator(c["id"], where, ii, ind) for ii, ind in enumerate(c.get("indicators") or [])
        ]
        if not indicators:
            raise self.error(where, "a capital needs indicators")
        fld = c.get("field") or f"cap_{c['id']}"
        label = labels(c.get("label") or _CAP_LABELS[c["id"]], self.source, where)
        return Capital(c["id"], fld, label, indicators)

    def indicator(self, cap_id: str, where: str, ii: int, ind: Any) -> Indicator:
        """One indicator: its points given directly, by bands of a value, or by a map of codes;
        the questions it asks; when it applies."""
        w = f"{where}.{cap_id}.indicators[{ii + 1}]"
        if not isinstance(ind, dict) or not isinstance(ind.get("id"), str):
            raise self.error(w, "an indicator needs an id")
        w = f"{self.name}.{cap_id}.{ind['id']}"
        kinds = [k for k in ("points", "bands", "map") if k in ind]
        if len(kinds) != 1:
            raise self.error(w, "an indicator needs exactly one of points, bands, map")
        if kinds[0] != "points" and "value" not in ind:
            raise self.error(w, "bands and map need a 'value' expression")
        bands_i: list[tuple[float, int]] = []
        if "bands" in ind:
            for pair in ind["bands"]:
                if (
                    not isinstance(pair, list)
                    or len(pair) != 2
                    or not isinstance(pair[0], (int, float))
                    or pair[1] not in (1, 2, 3, 4)
                ):
                    raise self.error(w, "bands are [lower bound, points 1–4] pairs")
                bands_i.append((float(pair[0]), int(pair[1])))
        mapping: dict[str, int] = {}
        if "map" in ind:
            if not isinstance(ind["map"], dict):
                raise self.error(w, "map is {code: points}")
            for k, v in ind["map"].items():
                if v not in (1, 2, 3, 4):
                    raise self.error(w, f"points for {k!r} must be 1–4")
                mapping[str(k) if not isinstance(k, bool) else ("true" if k else "false")] = int(v)
        asks = ind.get("asks") or []
        if not isinstance(asks, list) or not all(isinstance(q, str) for q in asks):
            raise self.error(w, "asks is a list of questions (field or repeat.field)")
        for q in asks:
            try:
                self.form.field_at(q)
            except KeyError:
                raise self.error(w, f"asks names no question {q!r}") from None
        made = Indicator(
            id=ind["id"],
            label=labels(ind.get("label"), self.source, w),
            value=self.compile(ind["value"], w) if "value" in ind else None,
            points=self.compile(ind["points"], w) if "points" in ind else None,
            bands=bands_i,
            mapping=mapping,
            applies=self.compile(ind["applies"], w) if "applies" in ind else None,
            asks=list(asks),
        )
        if not made.asks:  # the plain questions it reads
            made.asks = [q for q in made.variables if _is_question(self.form, q)]
        return made

    def dimension(self, di: int, d: Any) -> Dimension:
        """A TPMAP dimension and the rules that flag a household in it."""
        where = f"{self.name}.tpmap[{di + 1}]"
        if not isinstance(d, dict) or not isinstance(d.get("dimension"), str):
            raise self.error(where, "needs a dimension code")
        rules = [self.rule(r, f"{where}.rules[{ri + 1}]") for ri, r in enumerate(d.get("rules") or [])]
        return Dimension(d["dimension"], rules)

    def rule(self, r: Any, w: str) -> TpmapRule:
        if not isinstance(r, dict) or "when" not in r or "id" not in r:
            raise self.error(w, "a rule needs id, label and when")
        return TpmapRule(str(r["id"]), labels(r.get("label"), self.source, w), self.compile(r["when"], w))


_CAP_LABELS = {
    "human": {"th": "ทุนมนุษย์", "en": "Human capital"},
    "physical": {"th": "ทุนกายภาพ", "en": "Physical capital"},
    "financial": {"th": "ทุนเศรษฐกิจ", "en": "Economic capital"},
    "natural": {"th": "ทุนธรรมชาติ", "en": "Natural capital"},
    "social": {"th": "ทุนทางสังคม", "en": "Social capital"},
}


def _is_question(form: Form, name: str) -> bool:
    """An answer someone types (not a calculation)."""
    try:
        f = form.field_at(name)
    except KeyError:
        return False
    return f.type not in ("calculated", "repeat", "note")


def class_field(form: Form) -> str:
    """The field holding the household class: the name the form's rubric declares for its
    ``class`` output (``outputs.class`` in scoring.yaml), the default name for a form without one.
    Everything that reads the class asks here; check ``in form.fields`` before reading it."""
    return output_field(form, "class")


def output_field(form: Form, output: str) -> str:
    """The field of one rubric output (``mean``, ``class``, ``status``, …), as ``class_field``."""
    return (form.rubric.outputs if form.rubric is not None else DEFAULT_OUTPUTS)[output]


def capital_label(cap_id: str, lang: str = "th") -> str:
    return _CAP_LABELS[cap_id][lang]


def _check_outputs(rubric: Rubric, form: Form, source: str) -> None:
    wanted = [c.field for c in rubric.capitals] + [
        rubric.outputs[k] for k in ("mean", "class", "tpmap", "below_income_line", *rubric.written)
    ]
    for name in wanted:
        f = form.fields.get(name)
        if f is None or f.type != "calculated" or not f.scored:
            raise FormDefinitionError(
                source,
                f"{rubric.name}.outputs",
                f"form {form.id!r} needs a calculated field {name!r} with scored: true",
            )
    if rubric.outputs["income_per_capita"] not in form.fields:
        raise FormDefinitionError(
            source, f"{rubric.name}.outputs", f"no field {rubric.outputs['income_per_capita']!r}"
        )
    if form.fields[rubric.outputs["class"]].choices:
        codes = {c.code for c in form.fields[rubric.outputs["class"]].choices}
        missing = [c for c, _ in rubric.class_bands if c not in codes]
        if missing:
            raise FormDefinitionError(
                source, f"{rubric.name}.class_bands", f"codes not in the class choices: {missing}"
            )
