"""The few shapes every Conveyor dashboard is made of, over grafana-foundation-sdk's builders.

Every query goes to `${datasource}` (a datasource variable over Prometheus instances), so a file
imports unchanged into any Grafana; every dashboard has a `$workload` variable (multi-value,
"All" by default) read from the request counter's `workload` label. Panels are placed by the
SDK's grid (24 columns) in the order they are added; ids are numbered in that order, so the
rendered JSON is stable from run to run.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as board
from grafana_foundation_sdk.builders import prometheus, stat, text, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as model
from grafana_foundation_sdk.models.text import TextMode

from operators.dashboards.promql import HTTP_REQUESTS

DATASOURCE = model.DataSourceRef(type_val="prometheus", uid="${datasource}")
TAGS = ["conveyor", "generated"]
Query = tuple[str, str]  # (PromQL, legend)
Step = tuple[float | None, str]  # (threshold value, colour); None is the base step


def new_dashboard(uid: str, title: str, description: str) -> board.Dashboard:
    """A dashboard with the datasource and workload variables, the last hour, 30 s refresh."""
    return (
        board.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(TAGS)
        .editable()
        .time("now-1h", "now")
        .refresh("30s")
        .timezone("browser")
        .tooltip(model.DashboardCursorSync.CROSSHAIR)
        .with_variable(
            board.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
        .with_variable(
            board.QueryVariable("workload")
            .label("Workload")
            .datasource(DATASOURCE)
            .query(f"label_values({HTTP_REQUESTS}, workload)")
            .refresh(model.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(model.VariableSort.ALPHABETICAL_ASC)
            .multi(True)
            .include_all(True)
            .all_value(".*")
            .current(model.VariableOption(selected=True, text="All", value="$__all"))
        )
    )


def _targets(
    queries: Iterable[Query], *, instant: bool = False
) -> list[cogbuilder.Builder[variants.Dataquery]]:
    targets: list[cogbuilder.Builder[variants.Dataquery]] = []
    for ref, (expr, legend) in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", queries, strict=False):
        query = prometheus.Dataquery().expr(expr).legend_format(legend).ref_id(ref)
        targets.append(query.instant() if instant else query.range())
    return targets


def _thresholds(steps: Sequence[Step]) -> board.ThresholdsConfig:
    return (
        board.ThresholdsConfig()
        .mode(model.ThresholdsMode.ABSOLUTE)
        .steps([model.Threshold(value=value, color=colour) for value, colour in steps])
    )


def graph(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str,
    description: str = "",
    width: int = 12,
    height: int = 8,
    steps: Sequence[Step] = (),
) -> timeseries.Panel:
    """A time series; `steps` draws dashed threshold lines (an SLO, a burn-rate factor)."""
    panel = (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .line_width(1)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .targets(_targets(queries))
    )
    if steps:
        panel = panel.thresholds(_thresholds(steps)).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphThresholdsStyleMode.DASHED
            )
        )
    return panel


def single(
    title: str,
    queries: Sequence[Query],
    *,
    unit: str,
    description: str = "",
    width: int = 6,
    height: int = 5,
    steps: Sequence[Step] = ((None, "green"),),
    decimals: int | None = None,
) -> stat.Panel:
    """One number per series (instant query), coloured by `steps`."""
    panel = (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .span(width)
        .height(height)
        .graph_mode(common.BigValueGraphMode.NONE)
        .color_mode(common.BigValueColorMode.VALUE)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
        .thresholds(_thresholds(steps))
        .targets(_targets(queries, instant=True))
    )
    return panel if decimals is None else panel.decimals(decimals)


def note(title: str, markdown: str, *, width: int = 24, height: int = 4) -> text.Panel:
    """Words on the dashboard: what a panel cannot show yet, and where to look instead."""
    return (
        text.Panel()
        .title(title)
        .mode(TextMode.MARKDOWN)
        .content(markdown)
        .span(width)
        .height(height)
    )


def row(title: str) -> board.Row:
    return board.Row(title)


def built(dashboard: board.Dashboard) -> model.Dashboard:
    """The dashboard model with panel ids numbered in order (rows included).

    The SDK writes the interval-variable fields `auto`, `auto_min` and `auto_count` on every
    variable; Grafana's dashboard schema has no such fields (the schema check refuses them), and
    no variable here is an interval, so they are dropped.
    """
    result = dashboard.build()
    for number, panel in enumerate(result.panels or [], start=1):
        panel.id_val = number
    for variable in result.templating.list_val or []:
        variable.auto = variable.auto_min = variable.auto_count = None
    return result
