"""The results contract: every table a run writes to ``tables/``, declared once.

:mod:`evaltools.outputs` is to results what :mod:`evaltools.schema` is to
inputs. Each output table lists its columns in order; each column has a
*kind* (what it holds, see :data:`KINDS`), the *dtype* it is written with
today and a one-line description. From these declarations come typed empty
frames (:func:`empty_frame`), the column order and dtypes of a result
(:func:`conform`), a check of a result against its declaration
(:func:`check`), the columns a person sees of a table (:data:`VIEWS`) and
the users' page ``docs/outputs.md`` (:mod:`evaltools.docs`).

Tables marked ``conditional`` are written only in runs whose data call for
them: ``trajectory`` when a project has a midline or follow-up, ``comparison``
when participants have ``arm = comparison``.

Examples
--------
>>> TABLES["reliability"].column_names[:4]
('instrument', 'scale', 'wave', 'n')
>>> TABLES["change"].key
('instrument', 'scale', 'group')
>>> check(empty_frame("network"), "network")
[]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evaltools.labels import has, t
from evaltools.schema import CODES, STAFF_ACTIVITIES

#: What a column holds. ``key``: identifies the row (with the other keys);
#: ``count``: a whole number of people, items, sessions, ties…; ``estimate``:
#: any other number (a mean, a statistic, a share, degrees of freedom);
#: ``ci``: a bound of a confidence interval; ``p``: a p-value; ``flag``:
#: true/false; ``text``: a code or free text that is a value, not a key;
#: ``label``: text for people, in the run's language.
KINDS = ("key", "count", "estimate", "ci", "p", "flag", "text", "label")
#: The dtypes a column may be declared with (pandas names; ``str`` is text).
DTYPES = ("str", "int64", "Int64", "float64", "bool", "boolean")

_FAMILY = {"str": "text", "int64": "integer", "Int64": "integer", "float64": "float", "bool": "bool",
           "boolean": "bool"}


@dataclass(frozen=True)
class Column:
    """One column of an output table."""

    name: str
    kind: str
    dtype: str
    description: str

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: kind {self.kind!r} is not one of {KINDS}")
        if self.dtype not in DTYPES:
            raise ValueError(f"column {self.name!r}: dtype {self.dtype!r} is not one of {DTYPES}")

    def label(self, lang: str) -> str:
        """The header people read for this column in reports (the catalogue's ``report.col.<name>``, else the name).

        >>> TABLES["change"].column("n_pairs").label("pl")
        'Liczba par pomiarów'
        """
        key = f"report.col.{self.name}"
        return t(key, lang) if has(key) else self.name


@dataclass(frozen=True)
class Table:
    """One table of a run's ``tables/`` folder (``<name>.csv``)."""

    name: str
    description: str
    notebook: str  # the notebook that writes it
    when: str  # in which runs it is written
    columns: tuple[Column, ...]
    view: tuple[str, ...] | None = None  # the columns a person sees in a report (None: all but private ones)
    conditional: bool = False  # written only in runs whose data call for it (see ``when``)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind == "key")

    @property
    def dtypes(self) -> dict[str, str]:
        return {c.name: c.dtype for c in self.columns}

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


def _c(name: str, kind: str, dtype: str, description: str) -> Column:
    return Column(name, kind, dtype, description)


# Columns that recur, described once.
def _instrument():
    return _c("instrument", "key", "str", "Instrument id (`ego_network` for ego-network measures).")


def _scale():
    return _c("scale", "key", "str", "Scale (subscale) id within the instrument, or the ego-network measure.")


def _group():
    return _c("group", "key", "str", "`all`, a component code, or a `participants.group` value as written.")


def _wave():
    return _c("wave", "key", "str", "Wave: baseline, midline, endline or followup.")


def _pid():
    return _c("participant_id", "key", "str", "The participant's id as in the data folder.")


def _suppressed():
    return _c("suppressed", "flag", "bool",
              "True when the row describes fewer than min_cell people (or could reveal such a cell): "
              "only its keys and n are kept.")


def _ci(prefix: str, what: str, dtype: str = "float64") -> tuple[Column, Column]:
    return (_c(f"{prefix}ci_low", "ci", dtype, f"Lower bound of the confidence interval of {what}."),
            _c(f"{prefix}ci_high", "ci", dtype, f"Upper bound of the confidence interval of {what}."))


def _ci_level():
    return _c("ci_level", "estimate", "float64", "Confidence level of the intervals (1 − the run's alpha).")


_RELATIONS = tuple(_c(f"relation_{code}", "count", "int64", f"Alters whose relation is {code}.")
                   for code in CODES["relation"])
_SUPPORTS = tuple(_c(f"support_{code}", "count", "int64", f"Alters giving {code} support.")
                  for code in CODES["support"])
_DOSES = tuple(_c(f"sessions_{a}", "count", "int64", f"Sessions of activity {a} attended.")
               for a in CODES["activity"] if a not in STAFF_ACTIVITIES)

_BOTH = "baseline and endline runs"
_ENDLINE = "endline runs"

_TABLES = (
    Table(
        "data_quality", "Counts of rows affected by each warning of validation and by the completeness checks.",
        "00_data_quality", _BOTH,
        (_c("table", "key", "str", "Table of the data folder the check concerns."),
         _c("check", "key", "str", "What was checked (a message key, e.g. missing_items, no_endline)."),
         _c("n_rows_affected", "count", "int64", "Rows of the table the check found."),
         _c("severity", "text", "str", "info or warning.")),
    ),
    Table(
        "profile", "Participants by component, role, sex and age band (at the programme's start).",
        "10_baseline_profile", _BOTH,
        (_c("dimension", "key", "str", "component, role, sex or age_band."),
         _c("category", "key", "str", "The code (or age band) within the dimension."),
         _c("n", "count", "float64", "People in the category (empty when suppressed)."),
         _c("share", "estimate", "float64", "n / all participants."),
         _suppressed()),
    ),
    Table(
        "scores", "Each person's scale score at each wave.", "10_baseline_profile", _BOTH,
        (_pid(), _wave(), _instrument(), _scale(),
         _c("score", "estimate", "float64", "Mean (or prorated sum) of the answered items, reversed items reversed."),
         _c("n_items", "count", "int64", "Items answered.")),
    ),
    Table(
        "reliability", "Internal consistency of each scale at each wave (Cronbach's alpha with Feldt's CI, omega).",
        "10_baseline_profile", _BOTH,
        (_instrument(), _scale(), _wave(),
         _c("n", "count", "int64", "People who answered every item of the scale at the wave."),
         _c("k_items", "count", "Int64", "Items of the scale (empty when suppressed)."),
         _c("alpha", "estimate", "float64", "Cronbach's alpha."),
         *_ci("alpha_", "alpha (Feldt, Woodruff & Salih 1987)"),
         _c("omega", "estimate", "float64", "McDonald's omega total from a one-factor ML model."),
         _suppressed()),
        view=("instrument", "scale", "wave", "n", "k_items", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
              "suppressed"),
    ),
    Table(
        "item_rest", "Each item's correlation with the rest of its scale, and alpha without it.",
        "10_baseline_profile", _BOTH,
        (_instrument(), _scale(), _wave(),
         _c("item", "key", "str", "Item id."),
         _c("item_rest_r", "estimate", "float64", "Pearson correlation of the item with the sum of the other items."),
         _c("alpha_if_deleted", "estimate", "float64", "Cronbach's alpha of the scale without the item.")),
    ),
    Table(
        "change", "Paired change from baseline to endline per instrument × scale × group (complete pairs).",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("n_pairs", "count", "int64", "People with a score at both waves."),
         _c("mean_pre", "estimate", "float64", "Mean at baseline."),
         _c("sd_pre", "estimate", "float64", "SD at baseline (n − 1)."),
         _c("mean_post", "estimate", "float64", "Mean at endline."),
         _c("sd_post", "estimate", "float64", "SD at endline (n − 1)."),
         _c("mean_diff", "estimate", "float64", "Mean of endline − baseline."),
         *_ci("", "mean_diff (t)"),
         _ci_level(),
         _c("t", "estimate", "float64", "Paired t statistic."),
         _c("df", "estimate", "float64", "Degrees of freedom of t."),
         _c("p_t", "p", "float64", "Two-sided p of the paired t-test."),
         _c("w_stat", "estimate", "float64", "Wilcoxon signed-rank statistic (scipy's)."),
         _c("p_wilcoxon", "p", "float64", "Two-sided p of the Wilcoxon signed-rank test."),
         _c("d_z", "estimate", "float64", "mean_diff / SD of the differences."),
         _c("g_av", "estimate", "float64", "Hedges' g_av (Lakens 2013)."),
         *_ci("g_av_", "g_av (noncentral t)"),
         _c("p_holm", "p", "float64", "p_t adjusted by Holm within its family (holm_family)."),
         _suppressed(),
         _c("mdes_dz", "estimate", "float64", "Smallest d_z the paired t-test had 80 % power to detect."),
         _c("holm_family", "text", "str", "The Holm family of the row: primary (the all rows of project.yaml's "
            "primary_outcomes, confirmatory) or <instrument>/<group> (exploratory); empty when suppressed.")),
        view=("instrument", "scale", "group", "n_pairs", "mean_pre", "mean_post", "mean_diff", "ci_low", "ci_high",
              "g_av", "g_av_ci_low", "g_av_ci_high", "p_holm", "suppressed"),
    ),
    Table(
        "reliable_change", "Reliable change index (Jacobson & Truax 1991): people improved, unchanged, deteriorated "
        "and recovered.", "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("n_pairs", "count", "int64", "People with a score at both waves."),
         _c("reliability", "estimate", "float64", "The reliability r used for S_diff (empty when none)."),
         _c("sd_baseline", "estimate", "float64", "The SD used for S_diff (sourced norms or all baseline scores)."),
         _c("s_diff", "estimate", "float64", "Standard error of a difference, √2 · SD · √(1 − r)."),
         _c("n_improved", "count", "float64", "People whose RC passes 1.96 in the better direction."),
         _c("n_unchanged", "count", "float64", "People within ±1.96."),
         _c("n_deteriorated", "count", "float64", "People whose RC passes 1.96 in the worse direction."),
         _c("n_recovered", "count", "float64", "Improved and crossed the clinical cutoff (sourced norms only)."),
         _suppressed(),
         _c("reliability_source", "text", "str",
            "Where r comes from: published (the instrument's cited reliability), sample (the baseline alpha, "
            "> 0, of at least min_n_alpha complete cases) or none (no reliable change: counts empty).")),
        view=("instrument", "scale", "group", "n_pairs", "reliability", "reliability_source", "s_diff", "n_improved", "n_unchanged",
              "n_deteriorated", "n_recovered", "suppressed"),
    ),
    Table(
        "attrition", "Completers against dropouts at baseline (who has baseline but no endline, and did they differ).",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("n_baseline", "count", "int64", "People with a baseline score."),
         _c("n_completers", "count", "int64", "Of them, people with an endline score."),
         _c("n_dropouts", "count", "int64", "Of them, people without an endline score."),
         _c("mean_completers", "estimate", "float64", "Baseline mean of completers."),
         _c("sd_completers", "estimate", "float64", "Baseline SD of completers."),
         _c("mean_dropouts", "estimate", "float64", "Baseline mean of dropouts."),
         _c("sd_dropouts", "estimate", "float64", "Baseline SD of dropouts."),
         _c("mean_diff", "estimate", "float64", "mean_dropouts − mean_completers."),
         _c("t", "estimate", "float64", "Welch's t."),
         _c("df", "estimate", "float64", "Welch's degrees of freedom."),
         _c("p_welch", "p", "float64", "Two-sided p of Welch's t-test."),
         _c("smd", "estimate", "float64", "Standardised mean difference (pooled SD)."),
         _suppressed()),
        view=("instrument", "scale", "group", "n_baseline", "n_completers", "n_dropouts", "mean_completers",
              "mean_dropouts", "smd", "p_welch", "suppressed"),
    ),
    Table(
        "sensitivity", "Mean change with the dropouts imputed, and the shift that would overturn it (column method).",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("method", "key", "str", "complete_case; multiple_imputation (m = 20 imputations of the dropouts' "
            "endline, Rubin's rules, Barnard–Rubin df); tipping_point (the shift δ of every imputed endline at "
            "which the pooled CI first includes 0)."),
         _c("n_pairs", "count", "int64", "Complete pairs."),
         _c("n_dropouts", "count", "int64", "People with baseline and no endline (0 for complete_case)."),
         _c("n", "count", "int64", "People the method's estimate rests on (everyone with a baseline score "
            "unless complete_case)."),
         _c("mean_diff", "estimate", "float64", "Mean change under the method; for tipping_point, δ (signed, "
            "towards no change; 0 when the CI includes 0 already)."),
         *_ci("", "mean_diff (empty for tipping_point)"),
         _ci_level(),
         _suppressed(),
         _c("note", "text", "str", "Codes (;-joined) saying why an estimate is missing or special.")),
        view=("instrument", "scale", "group", "method", "n", "mean_diff", "ci_low", "ci_high", "suppressed"),
    ),
    Table(
        "dose_response", "Does change grow with sessions attended up to each person's endline? Correlation and "
        "slope over complete pairs: an association among self-selected attenders, not the effect of attending.",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(),
         _c("n", "count", "int64", "Complete pairs with a dose."),
         _c("r", "estimate", "float64", "Pearson correlation of change with sessions attended."),
         _c("p", "p", "float64", "Two-sided p of r."),
         _c("slope", "estimate", "float64", "Least-squares change per session."),
         *_ci("slope_", "the slope (t, n − 2 df)"),
         _c("intercept", "estimate", "float64", "Fitted change at 0 sessions."),
         _ci_level(),
         _suppressed(),
         _c("p_holm", "p", "float64", "p adjusted by Holm across all the table's tests (one family).")),
    ),
    Table(
        "ego_networks", "Each person's ego network at each wave they were asked.", "30_social_ties", _BOTH,
        (_pid(), _wave(),
         _c("size", "count", "int64", "Alters named (0 when asked and nobody was named)."),
         *_RELATIONS, *_SUPPORTS,
         _c("on_estate_share", "estimate", "float64", "Share of alters living on the estate."),
         _c("diversity", "count", "int64", "Kinds of relation among the alters.")),
    ),
    Table(
        "network", "The sociometric network among participants, one row per wave.", "30_social_ties", _BOTH,
        (_wave(),
         _c("n_nodes", "count", "int64", "Registered participants (isolates included)."),
         _c("n_edges", "count", "int64", "Undirected ties between participants."),
         _c("density", "estimate", "float64", "Edges / possible edges."),
         _c("mean_degree", "estimate", "float64", "Mean number of ties per person."),
         _c("components", "count", "int64", "Connected components (an isolate is one)."),
         _c("largest_component_share", "estimate", "float64", "Share of people in the largest component."),
         _c("isolates", "count", "int64", "People without ties."),
         _c("transitivity", "estimate", "float64", "Global transitivity (networkx.transitivity)."),
         _c("cross_group_ties", "count", "int64", "Ties between people of different groups.")),
    ),
    Table(
        "network_change", "Change of the sociometric network, tested by permuting dyads.", "30_social_ties", _ENDLINE,
        (_c("measure", "key", "str", "Network measure (density, isolates, …)."),
         _c("baseline", "estimate", "float64", "Value at baseline."),
         _c("endline", "estimate", "float64", "Value at endline."),
         _c("diff", "estimate", "float64", "endline − baseline."),
         _c("p_value", "p", "float64", "Two-sided permutation p, (1 + #{|S*| ≥ |S|}) / (1 + n_perm)."),
         _c("method", "text", "str", "How p was obtained: dyad_permutation, or not_tested when a wave has no ties rows.")),
    ),
    Table(
        "coattendance", "The network of people linked by sessions attended together, per quarter.",
        "30_social_ties", _BOTH,
        (_c("period", "key", "str", "Quarter, e.g. 2021Q1."),
         _c("n_nodes", "count", "int64", "People who attended a session in the quarter."),
         _c("n_edges", "count", "int64", "Pairs of people who attended a session together."),
         _c("density", "estimate", "float64", "Edges / possible edges."),
         _c("components", "count", "int64", "Connected components."),
         _c("largest_component_share", "estimate", "float64", "Share of people in the largest component."),
         _c("isolates", "count", "int64", "People who attended only alone.")),
    ),
    Table(
        "indicators", "Outputs against the logframe's targets (project.yaml targets).", "40_outputs_targets", _BOTH,
        (_c("indicator_id", "key", "str", "The target's id."),
         _c("label", "label", "str", "The target's label in the run's language."),
         _c("target", "estimate", "float64", "The target value."),
         _c("value", "count", "Int64", "The value reached (empty when not measured)."),
         _c("ratio", "estimate", "float64", "value / target."),
         _c("status", "text", "str", "met, partly, not met or not measured.")),
        view=("label", "target", "value", "ratio", "status"),
    ),
    Table(
        "dose", "Sessions and hours each participant attended, by activity.", "40_outputs_targets", _BOTH,
        (_pid(),
         _c("sessions", "count", "int64", "Sessions attended."),
         _c("hours", "estimate", "float64", "Hours attended (duration_min / 60 summed)."),
         *_DOSES),
    ),
    Table(
        "clustered_change", "Paired change with family clustering modelled on the change scores.",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("n_pairs", "count", "int64", "People with a score at both waves."),
         _c("n_families", "count", "int64", "Families G (a person without family_id is a family of one)."),
         _c("mean_diff", "estimate", "float64", "Mean of endline − baseline."),
         _c("se_robust", "estimate", "float64", "Cluster-robust (CR1) SE of the intercept of OLS d ~ 1."),
         *_ci("", "mean_diff (t, G − 1 df)"),
         _ci_level(),
         _c("p", "p", "float64", "Two-sided p (t, G − 1 df)."),
         _c("family_mean_diff", "estimate", "float64", "Mean of the family means of d."),
         *_ci("family_", "family_mean_diff (one-sample t)"),
         _c("family_p", "p", "float64", "Two-sided p of the one-sample t on family means."),
         _c("icc", "estimate", "float64", "One-way ANOVA intra-family correlation of d, truncated at 0."),
         _c("design_effect", "estimate", "float64", "1 + (mean family size − 1) · icc."),
         _suppressed()),
    ),
    Table(
        "regression_to_mean", "Change expected from regression to the mean (Barnett, van der Pols & Dobson 2005).",
        "20_outcomes_change", _ENDLINE,
        (_instrument(), _scale(), _group(),
         _c("n_pairs", "count", "int64", "People with a score at both waves."),
         _c("baseline_mean", "estimate", "float64", "Baseline mean of the complete pairs."),
         _c("reference_mean", "estimate", "float64", "The functional norm's mean (sourced norms only)."),
         _c("reliability", "estimate", "float64", "The r of reliable change (empty when none)."),
         _c("expected_rtm", "estimate", "float64", "(1 − r) · (reference_mean − baseline_mean)."),
         _c("mean_diff", "estimate", "float64", "Mean of endline − baseline."),
         _c("change_beyond_rtm", "estimate", "float64", "mean_diff − expected_rtm."),
         _c("r_baseline_change", "estimate", "float64", "Pearson correlation of baseline with change."),
         _suppressed()),
    ),
    Table(
        "trajectory", "Scores at three or more waves, and each wave against baseline (mixed model).",
        "20_outcomes_change", "endline runs of projects with a midline or followup wave",
        (_instrument(), _scale(), _group(), _wave(),
         _c("n", "count", "int64", "People with a score at the wave."),
         _c("mean", "estimate", "float64", "Mean score."),
         _c("sd", "estimate", "float64", "SD (n − 1)."),
         *_ci("", "the mean (t)"),
         _c("estimate", "estimate", "float64", "Fixed effect of the wave against baseline (empty on baseline)."),
         *_ci("estimate_", "the estimate"),
         _c("estimate_p", "p", "float64", "Two-sided p of the estimate."),
         _suppressed()),
        conditional=True,
    ),
    Table(
        "baseline_balance", "How alike the programme and comparison arms were at baseline, per scale.",
        "10_baseline_profile", "runs of projects with a comparison arm",
        (_instrument(), _scale(),
         _c("n_programme", "count", "int64", "Programme participants with a baseline score."),
         _c("n_comparison", "count", "int64", "Comparison-arm people with a baseline score."),
         _c("mean_programme", "estimate", "float64", "Programme arm's baseline mean."),
         _c("sd_programme", "estimate", "float64", "Its SD (n − 1)."),
         _c("mean_comparison", "estimate", "float64", "Comparison arm's baseline mean."),
         _c("sd_comparison", "estimate", "float64", "Its SD (n − 1)."),
         _c("smd_baseline", "estimate", "float64", "Standardised difference of the means (pooled SD)."),
         _suppressed()),
        conditional=True,
    ),
    Table(
        "comparison", "Programme against a non-randomised comparison arm (difference in differences, ANCOVA).",
        "20_outcomes_change", "endline runs of projects with a comparison arm",
        (_instrument(), _scale(),
         _c("n_programme", "count", "int64", "Complete pairs of the programme arm."),
         _c("n_comparison", "count", "int64", "Complete pairs of the comparison arm."),
         _c("mean_change_programme", "estimate", "float64", "Mean change of the programme arm."),
         _c("mean_change_comparison", "estimate", "float64", "Mean change of the comparison arm."),
         _c("did", "estimate", "float64", "Coefficient of arm in OLS d ~ arm."),
         *_ci("did_", "did"),
         _c("did_p", "p", "float64", "Two-sided p of did."),
         _c("ancova", "estimate", "float64", "Coefficient of arm in OLS endline ~ baseline + arm."),
         *_ci("ancova_", "ancova"),
         _c("ancova_p", "p", "float64", "Two-sided p of ancova."),
         _c("smd_baseline", "estimate", "float64", "Standardised baseline difference of the arms (balance)."),
         _suppressed()),
        conditional=True,
    ),
)

#: Every output table, by name (``tables/<name>.csv``).
TABLES: dict[str, Table] = {table.name: table for table in _TABLES}

#: The columns a person sees of a table in the reports (the CSV keeps all of them). ``describe`` is the frame of
#: :func:`evaltools.plots.profile.describe`, shown and never written.
VIEWS: dict[str, list[str]] = {
    **{table.name: list(table.view) for table in _TABLES if table.view},
    "describe": ["instrument", "scale", "wave", "measure", "n", "mean", "sd", "q1", "median", "q3", "suppressed"],
}


def _table(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"no output table {name!r}; declared: {', '.join(TABLES)}") from None


def _dtype(dtype: str):
    return pd.StringDtype(na_value=float("nan")) if dtype == "str" else dtype


def empty_frame(name: str) -> pd.DataFrame:
    """An empty DataFrame with the declared columns of table ``name``, in order and typed.

    >>> empty_frame("data_quality").dtypes.astype(str).tolist()
    ['str', 'str', 'int64', 'str']
    """
    table = _table(name)
    return pd.DataFrame({c.name: pd.Series([], dtype=_dtype(c.dtype)) for c in table.columns})


def _family(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_string_dtype(dtype) or dtype == object:
        return "text"
    return str(dtype)


def check(df: pd.DataFrame, name: str) -> list[str]:
    """What differs between ``df`` and the declared table ``name``; an empty list when nothing does.

    Reports missing, extra and misordered columns, and columns whose dtype is
    of another family than declared (text, integer, float, bool). A count
    may always be an integer (see ``nullable_counts`` of :func:`conform`).
    Dtypes are not checked on an empty frame or an all-empty column: they
    write the same CSV whatever their dtype.

    >>> df = pd.DataFrame({"wave": ["baseline"], "n_edges": [3.0], "n_nodes": [10], "x": [1]})
    >>> for problem in check(df, "coattendance"):
    ...     print(problem)
    coattendance: missing columns 'period', 'density', 'components', 'largest_component_share', 'isolates'
    coattendance: undeclared columns 'wave', 'x'
    coattendance: columns out of order: 'n_edges' before 'n_nodes'
    coattendance, column n_edges: dtype float64, expected int64
    """
    table = _table(name)
    problems = []
    declared = table.column_names
    missing = [c for c in declared if c not in df.columns]
    extra = [c for c in df.columns if c not in declared]
    if missing:
        problems.append(f"{name}: missing columns {', '.join(map(repr, missing))}")
    if extra:
        problems.append(f"{name}: undeclared columns {', '.join(map(repr, extra))}")
    present = [c for c in df.columns if c in declared]
    expected = [c for c in declared if c in present]
    if present != expected:
        first = next(i for i, (a, b) in enumerate(zip(present, expected)) if a != b)
        problems.append(f"{name}: columns out of order: {present[first]!r} before {expected[first]!r}")
    if len(df):
        for col in table.columns:
            if col.name not in df.columns or df[col.name].isna().all():
                continue
            found = _family(df[col.name].dtype)
            allowed = {_FAMILY[col.dtype]} | ({"integer"} if col.kind == "count" else set())
            if found not in allowed:
                problems.append(f"{name}, column {col.name}: dtype {df[col.name].dtype}, expected {col.dtype}")
    return problems


def conform(df: pd.DataFrame, name: str, *, nullable_counts: bool = False) -> pd.DataFrame:
    """``df`` with the declared columns of table ``name`` in order and each cast to its declared dtype.

    The result writes the same CSV as the tables of today's runs. With
    ``nullable_counts=True`` every count column becomes the nullable
    ``Int64``, so that a count next to suppressed (empty) rows is written
    ``6`` and not ``6.0``; this changes the bytes of tables whose counts are
    declared ``float64`` today (reliable_change's ``n_improved`` …,
    profile's ``n``), and is therefore asked for, not the default.

    Raises :class:`ValueError` when a declared column is missing or an
    undeclared one is present (a result that is not the table).

    >>> df = pd.DataFrame({"dimension": ["sex", "sex"], "category": ["F", "M"], "n": [6.0, None],
    ...                    "share": [0.6, None], "suppressed": [False, True]})
    >>> conform(df, "profile")["n"].tolist()
    [6.0, nan]
    >>> print(conform(df, "profile", nullable_counts=True).to_csv(index=False), end="")
    dimension,category,n,share,suppressed
    sex,F,6,0.6,False
    sex,M,,,True
    """
    table = _table(name)
    structural = [p for p in check(df.iloc[:0], name) if "dtype" not in p]
    if [p for p in structural if "out of order" not in p]:
        raise ValueError("; ".join(structural))
    out = df.loc[:, list(table.column_names)].copy()
    for col in table.columns:
        s = out[col.name]
        dtype = "Int64" if (nullable_counts and col.kind == "count") else col.dtype
        if dtype == "str":
            if _family(s.dtype) != "text":
                out[col.name] = s.astype(_dtype("str"))
        elif dtype == "int64" and s.isna().any():
            out[col.name] = s.astype("Int64")  # written the same as int64; empty where missing
        elif dtype == "bool" and s.isna().any():
            out[col.name] = s.astype("boolean")
        elif str(s.dtype) != dtype:
            out[col.name] = s.astype(dtype)
    return out
