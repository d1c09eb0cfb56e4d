#!/usr/bin/env bash
# The pilot of issue 14: the whole agent lifecycle on two fixture tasks (TASK-0201, backend;
# TASK-0202, mobile), run twice by scripted agents — a baseline that reads the task file, the
# standards and its checklist itself, and a hardened one that uses the context cache
# (--get-context, snapshots and handoffs, --run-validation --all) — with telemetry recorded
# through the tool, then metrics, dashboards (JSON and HTML), a comparison and a Markdown report.
#
# Needs only bash, coreutils, sed, awk, grep, git and the tasks binary. Deterministic: every step
# runs at a pinned time (TASKS_NOW), git runs without the user's configuration, and nothing that
# depends on the machine (paths, durations, the wall clock) reaches the report.

set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/pilot.sh [--tasks PATH_TO_BINARY] [--workdir DIR] [--report FILE]

Runs the pilot of the context cache: two fixture tasks (fixtures/pilot), a baseline arm and a
hardened arm of scripted agents, telemetry, metrics, dashboards and a comparison, then writes the
report.

Options:
  --tasks PATH     the tasks binary (default: `tasks` on PATH, else target/release/tasks, else
                   target/debug/tasks of this checkout)
  --workdir DIR    where the two copies of the fixtures and the dashboards go (default: a new
                   temporary directory); it must not hold baseline/ or hardened/ already
  --report FILE    the report to write (default: docs/evidence/pilot-report.md of this checkout)
  -h, --help       this text

The work directory is kept: open baseline-dashboard.html and hardened-dashboard.html there.
EOF
}

die() {
    echo "pilot: $*" >&2
    exit 1
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FIXTURE=$ROOT/fixtures/pilot
TASKS=
WORK=
REPORT=$ROOT/docs/evidence/pilot-report.md

while [[ $# -gt 0 ]]; do
    case $1 in
    --tasks) [[ $# -ge 2 ]] || die "--tasks needs a path"; TASKS=$2; shift 2 ;;
    --workdir) [[ $# -ge 2 ]] || die "--workdir needs a directory"; WORK=$2; shift 2 ;;
    --report) [[ $# -ge 2 ]] || die "--report needs a file"; REPORT=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
    esac
done

if [[ -z $TASKS ]]; then
    if command -v tasks > /dev/null 2>&1; then
        TASKS=$(command -v tasks)
    elif [[ -x $ROOT/target/release/tasks ]]; then
        TASKS=$ROOT/target/release/tasks
    elif [[ -x $ROOT/target/debug/tasks ]]; then
        TASKS=$ROOT/target/debug/tasks
    else
        die "no tasks binary: build one (cargo build --release) or pass --tasks PATH"
    fi
fi
[[ -x $TASKS ]] || die "$TASKS is not an executable"
TASKS=$(cd "$(dirname "$TASKS")" && pwd)/$(basename "$TASKS")
echo "pilot: using $TASKS ($("$TASKS" --version))" >&2
[[ -d $FIXTURE/tasks ]] || die "no fixture repository at $FIXTURE"

if [[ -z $WORK ]]; then
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/tasks-pilot.XXXXXX")
fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
for arm in baseline hardened; do
    [[ ! -e $WORK/$arm ]] || die "$WORK/$arm exists already: pass an empty --workdir"
done
mkdir -p "$(dirname "$REPORT")"
REPORT=$(cd "$(dirname "$REPORT")" && pwd)/$(basename "$REPORT")
SCRATCH=$WORK/.scratch
mkdir -p "$SCRATCH"

# A hermetic environment: no role or task of the caller's, no notification channel, no proxy, no
# git configuration of the user's (a signing key or a hook would change the commits), C locale.
unset TASKS_AGENT TASKS_TASK TASKS_TELEMETRY TASKS_SESSION_ID TASKS_NOW
unset TELEGRAM_BOT_TOKEN TELEGRAM_CHAT_ID TELEGRAM_API_BASE_URL
unset NTFY_TOPIC NTFYT_TOPIC NTFY_BASE_URL NTFYT_BASE_URL NTFY_ACCESS_TOKEN NTFYT_ACCESS_TOKEN
unset HTTP_PROXY http_proxy HTTPS_PROXY https_proxy ALL_PROXY all_proxy
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC

# ---------------------------------------------------------------------------------------------
# The simulated clock: every command of the pilot runs at a pinned TASKS_NOW, advanced by each
# step, so sessions have realistic durations and two runs give the same numbers.

PILOT_DAY=2026-11-20
CLOCK=0 # minutes since midnight

clock_start() { # HH MM
    CLOCK=$((10#$1 * 60 + 10#$2))
    tick 0
}

tick() { # MINUTES
    CLOCK=$((CLOCK + $1))
    ((CLOCK < 24 * 60)) || die "the simulated day is over"
    TASKS_NOW=$(printf '%sT%02d:%02d:00Z' "$PILOT_DAY" $((CLOCK / 60)) $((CLOCK % 60)))
    export TASKS_NOW
}

# ---------------------------------------------------------------------------------------------
# The JSON check of the scripted agents (there is no jq): a structural check, not a parser.
# 1. Strings are taken out (a JSON string never spans lines); a quote left over is a string
#    that does not end.
# 2. Outside strings only whitespace, { } [ ] : , numbers and true/false/null may remain.
# 3. The structure must reduce to exactly one value: strings before a colon are keys, strings,
#    numbers and literals are values, and `[]`, `{}`, `[v,v,…]` and `{k:v,k:v,…}` collapse into
#    a value until nothing changes.
# Not checked: escape sequences inside strings, control characters, UTF-8.

NUMBER='-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?'
STRING='"([^"\\]|\\.)*"'

json_ok() { # FILE
    local bare rest doc prev=
    [[ -s $1 ]] || return 1
    bare=$(sed -E "s/$STRING//g" "$1")
    [[ $bare != *'"'* ]] || return 1
    rest=$(printf '%s' "$bare" | sed -E "s/true|false|null//g; s/$NUMBER//g" | tr -d ' \t\r\n{}[]:,')
    [[ -z $rest ]] || return 1
    doc=$(sed -E "s/$STRING/S/g; s/true|false|null/N/g; s/$NUMBER/N/g" "$1" | tr -d ' \t\r\n')
    doc=${doc//S:/K}
    while [[ $doc != "$prev" ]]; do
        prev=$doc
        doc=$(sed -E 's/[SN]/V/g; s/\{\}|\[\]/V/g; s/\[V(,V)*\]/V/g; s/\{KV(,KV)*\}/V/g' <<< "$doc")
    done
    [[ $doc == V ]]
}

# The check is checked first: it must accept these documents and refuse those.
json_self_test() {
    local doc valid=0 broken=0
    for doc in '{"a": [1, -2.5e3, true, null, {"b": "x\"y"}], "c": {}}' '[]' '"s"' '0'; do
        printf '%s\n' "$doc" > "$SCRATCH/self-test.json"
        json_ok "$SCRATCH/self-test.json" || die "the JSON check refuses a valid document: $doc"
        valid=$((valid + 1))
    done
    for doc in '' '{"a": 1' '{"a" 1}' '{"a": 1,}' '[1 2]' '{"a": "b}' '{"a": tru}' '{"a": 01}' \
        '{1: 2}' '["a": 1]' 'Warning: x' '{} {}' '{"a": S}'; do
        printf '%s\n' "$doc" > "$SCRATCH/self-test.json"
        ! json_ok "$SCRATCH/self-test.json" || die "the JSON check accepts a broken document: $doc"
        broken=$((broken + 1))
    done
    JSON_SELF_TEST_VALID=$valid JSON_SELF_TEST_BROKEN=$broken
}

# ---------------------------------------------------------------------------------------------
# Scripted agents. An agent is a role (TASKS_AGENT) working on a task (TASKS_TASK) in the arm's
# repository (the current directory); the tool records its own work for that role, the agent
# records the rest with --record-telemetry.

as_agent() { # ROLE TASK_ID
    export TASKS_AGENT=$1 TASKS_TASK=$2
}

as_task_runner() { # the task runner is not an agent: it records no telemetry
    unset TASKS_AGENT TASKS_TASK
}

record() { # EVENT [OPTIONS…]
    "$TASKS" --record-telemetry --event "$@" > /dev/null
}

# Run the tool quietly (text output, for the task runner); a failure stops the pilot.
run_tool() {
    local rc=0
    "$TASKS" "$@" > "$SCRATCH/out.txt" 2> "$SCRATCH/err.txt" || rc=$?
    if [[ $rc -ne 0 ]]; then
        cat "$SCRATCH/out.txt" "$SCRATCH/err.txt" >&2
        die "tasks $* failed (exit $rc)"
    fi
}

# An agent calls the tool for a JSON document and checks it. COUNTER says who counts the
# document: `tool` when the tool records it itself (commands about a task, whose value is the
# task id, run with TASKS_AGENT set), `agent` when it does not (--list): then the agent records
# the json_call, and the `Warning:` lines the tool printed, itself. A document the check refuses
# is a json_parse_failure, recorded by the agent whoever counted the call.
tool_json() { # COUNTER ARGS…
    local counter=$1 rc=0 line
    shift
    "$TASKS" "$@" --format json > "$SCRATCH/doc.json" 2> "$SCRATCH/err.txt" || rc=$?
    if [[ $rc -ne 0 ]]; then
        cat "$SCRATCH/doc.json" "$SCRATCH/err.txt" >&2
        die "tasks $* failed (exit $rc) for the $TASKS_AGENT of $TASKS_TASK"
    fi
    if [[ $counter == agent ]]; then
        record json_call
        while IFS= read -r line; do
            [[ $line != Warning:* ]] || record warning --message "$line"
        done < "$SCRATCH/err.txt"
    fi
    json_ok "$SCRATCH/doc.json" || record json_parse_failure
    tick 1
}

# The agent reads files: each one is a file_read (the tool takes the size from the file).
reads() { # PATH…
    local path
    for path in "$@"; do
        cat -- "$path" > /dev/null
        record file_read --path "$path"
        tick 1
    done
}

# The agent writes a file (its new content on stdin): a file_edit when it existed, else a
# file_write.
writes() { # PATH
    local event=file_write
    [[ ! -e $1 ]] || event=file_edit
    cat > "$1"
    record "$event" --path "$1"
    tick 2
}

# The agent runs a command in its shell, as it would without the tool: no log is kept.
shell_runs() { # COMMAND
    sh -c "$1" > /dev/null 2>&1 || die "'$1' failed for the $TASKS_AGENT of $TASKS_TASK"
    tick 1
}

# The task's files as a baseline agent finds them without the context: the task file, the
# standards every agent prompt names (global, AGENTS), the standards the task file names
# (related_docs, plan, criteria) and its tier's file, and the role's checklist.
task_file() { # TASK_ID
    local found=(tasks/*/"$1"-*.task.yaml)
    [[ -f ${found[0]} ]] || die "no task file for $1"
    printf '%s\n' "${found[0]}"
}

baseline_documents() { # TASK_ID ROLE
    local file tier
    file=$(task_file "$1")
    tier=$(sed -n 's/^  standards_tier: *//p' "$file")
    {
        echo standards/global.md
        echo standards/AGENTS.md
        grep -o 'standards/[A-Za-z0-9_.-]*\.md' "$file" || true
        [[ -z $tier ]] || echo "standards/$tier-tier.md"
    } | awk '!seen[$0]++' | while read -r doc; do [[ ! -f $doc ]] || echo "$doc"; done > "$SCRATCH/docs.txt"
    echo "$file"
    cat "$SCRATCH/docs.txt"
    echo "docs/agents/$2-checklist.md"
}

# The command of a pipeline entry, read from the task file (baseline agents have no context).
pipeline_command() { # TASK_ID COMMAND_ID
    awk -v want="$2" '
        /^ *- id: / { id = $3 }
        /^ *command: / && id == want { sub(/^ *command: */, ""); print; exit }
    ' "$(task_file "$1")"
}

pipeline_commands() { # TASK_ID
    sed -n 's/^ *command: *//p' "$(task_file "$1")"
}

# ---------------------------------------------------------------------------------------------
# The work itself: the same edits in both arms, so that the arms differ only in how the agents
# learn what to do and how they hand over.

# The files each role opens to change them (read before an edit, as an editor tool requires).
implementer_sources() {
    case $1 in
    TASK-0201) echo backend/src/shipments/eta.ts backend/src/shipments/eta-handler.ts backend/tests/shipments/eta.test.ts ;;
    TASK-0202) echo mobile/src/shipments/useShipmentEta.ts mobile/src/shipments/ShipmentCard.tsx mobile/tests/shipments/ShipmentCard.test.tsx ;;
    esac
}

reviewer_sources() {
    case $1 in
    TASK-0201) echo backend/src/shipments/eta-handler.ts backend/tests/shipments/eta.test.ts ;;
    TASK-0202) echo mobile/src/shipments/ShipmentCard.tsx mobile/tests/shipments/ShipmentCard.test.tsx ;;
    esac
}

implementer_edits() {
    case $1 in
    TASK-0201)
        writes backend/src/shipments/eta.ts <<'TS'
import type { Result } from "neverthrow";
import { err, ok } from "neverthrow";
import type { Clock } from "../platform/clock";
import type { Shipment, ShipmentId } from "./model";

export type EtaError = { kind: "unknown_shipment"; id: ShipmentId } | { kind: "no_scan"; id: ShipmentId };

export type DeliveryWindow = { earliest: string; latest: string };

/** Business days a carrier service level takes from the last hub scan to delivery. */
const TRANSIT_DAYS: Record<Shipment["serviceLevel"], number> = {
  express: 1,
  standard: 3,
  economy: 5,
};

/** Business days a carrier may deliver after the estimate (constant until carriers report it). */
const SPREAD_DAYS: Record<Shipment["serviceLevel"], number> = {
  express: 0,
  standard: 1,
  economy: 2,
};

/** The estimated delivery day (a calendar day, `YYYY-MM-DD`) of a shipment. */
export function estimateDelivery(shipment: Shipment | undefined, id: ShipmentId, clock: Clock): Result<string, EtaError> {
  if (shipment === undefined) {
    return err({ kind: "unknown_shipment", id });
  }
  const lastScan = shipment.scans.at(-1);
  if (lastScan === undefined) {
    return err({ kind: "no_scan", id });
  }
  return ok(clock.addBusinessDays(lastScan.day, TRANSIT_DAYS[shipment.serviceLevel]));
}

/** The delivery window: the estimate, and the estimate plus the service level's spread. */
export function deliveryWindow(shipment: Shipment | undefined, id: ShipmentId, clock: Clock): Result<DeliveryWindow, EtaError> {
  return estimateDelivery(shipment, id, clock).map((earliest) => ({
    earliest,
    latest: clock.addBusinessDays(earliest, SPREAD_DAYS[(shipment as Shipment).serviceLevel]),
  }));
}
TS
        writes backend/src/shipments/eta-handler.ts <<'TS'
import type { Request, Response } from "../http/types";
import { etaParams } from "./schemas";
import type { ShipmentService } from "./service";

/** GET /v2/shipments/:id/eta */
export function etaHandler(service: ShipmentService) {
  return async (req: Request, res: Response): Promise<void> => {
    const params = etaParams.safeParse(req.params);
    if (!params.success) {
      res.status(400).json({ issues: params.error.issues });
      return;
    }
    const result = await service.etaWithWindow(params.data.id);
    console.log("eta window", result);
    result.match(
      ({ day, window }) =>
        res.status(200).json({ id: params.data.id, estimatedDelivery: day, deliveryWindow: window }),
      (error) => res.status(error.kind === "unknown_shipment" ? 404 : 409).json({ error: error.kind }),
    );
  };
}
TS
        writes backend/tests/shipments/eta.test.ts <<'TS'
import { describe, expect, it } from "vitest";
import { deliveryWindow, estimateDelivery } from "../../src/shipments/eta";
import { fakeClock, shipment } from "../fixtures/shipments";

describe("estimateDelivery", () => {
  it("adds the service level's transit days to the last scan", () => {
    expect(estimateDelivery(shipment("standard", "2026-11-16"), shipment.id, fakeClock)._unsafeUnwrap()).toBe("2026-11-19");
  });

  it("skips weekends", () => {
    expect(estimateDelivery(shipment("standard", "2026-11-20"), shipment.id, fakeClock)._unsafeUnwrap()).toBe("2026-11-25");
  });

  it("fails for an unknown shipment", () => {
    expect(estimateDelivery(undefined, shipment.id, fakeClock)._unsafeUnwrapErr().kind).toBe("unknown_shipment");
  });

  it("fails for a shipment without a scan", () => {
    expect(estimateDelivery(shipment("standard"), shipment.id, fakeClock)._unsafeUnwrapErr().kind).toBe("no_scan");
  });
});

describe("deliveryWindow", () => {
  it("starts on the estimated day", () => {
    expect(deliveryWindow(shipment("standard", "2026-11-16"), shipment.id, fakeClock)._unsafeUnwrap().earliest).toBe("2026-11-19");
  });

  it("ends the service level's spread after the estimate", () => {
    expect(deliveryWindow(shipment("economy", "2026-11-16"), shipment.id, fakeClock)._unsafeUnwrap().latest).toBe("2026-11-25");
  });

  it("never ends on a weekend", () => {
    expect(deliveryWindow(shipment("standard", "2026-11-19"), shipment.id, fakeClock)._unsafeUnwrap().latest).toBe("2026-11-25");
  });
});
TS
        ;;
    TASK-0202)
        writes mobile/src/shipments/useShipmentEta.ts <<'TS'
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { ShipmentId } from "../api/types";

export type DeliveryWindow = { earliest: string; latest: string };

export type EtaState =
  | { status: "loading" }
  | { status: "error" }
  | { status: "ready"; estimatedDelivery: string; window: DeliveryWindow | undefined };

/** The estimated delivery day of a shipment and, from API v2.4, its delivery window. */
export function useShipmentEta(id: ShipmentId): EtaState {
  const query = useQuery({ queryKey: ["eta", id], queryFn: () => api.shipments.eta(id) });
  if (query.isPending) {
    return { status: "loading" };
  }
  if (query.isError) {
    return { status: "error" };
  }
  return { status: "ready", estimatedDelivery: query.data.estimatedDelivery, window: query.data.deliveryWindow };
}
TS
        writes mobile/src/shipments/ShipmentCard.tsx <<'TS'
import { Text, View } from "react-native";
import { formatDay, formatDayRange, speakDayRange } from "../i18n/dates";
import { t } from "../i18n/t";
import { tokens } from "../theme/tokens";
import type { EtaState } from "./useShipmentEta";

export type ShipmentCardProps = {
  reference: string;
  eta: EtaState;
};

export function ShipmentCard({ reference, eta }: ShipmentCardProps) {
  return (
    <View style={{ padding: tokens.space.md, backgroundColor: tokens.color.surface }}>
      <Text accessibilityRole="header">{reference}</Text>
      {eta.status !== "ready" ? (
        <Text>{t(eta.status === "loading" ? "shipment.eta.loading" : "shipment.eta.unavailable")}</Text>
      ) : eta.window === undefined ? (
        <Text>{t("shipment.eta", { day: formatDay(eta.estimatedDelivery) })}</Text>
      ) : (
        // TODO: confirm the dash with design
        <Text accessibilityLabel={t("shipment.window.spoken", { range: speakDayRange(eta.window) })}>
          {t("shipment.window", { range: formatDayRange(eta.window) })}
        </Text>
      )}
    </View>
  );
}
TS
        writes mobile/tests/shipments/ShipmentCard.test.tsx <<'TS'
import { render, screen } from "@testing-library/react-native";
import { ShipmentCard } from "../../src/shipments/ShipmentCard";

describe("ShipmentCard", () => {
  it("shows the reference as a header", () => {
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "loading" }} />);
    expect(screen.getByRole("header")).toHaveTextContent("SHP-TEST-1");
  });

  it("shows the estimated delivery day", () => {
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "ready", estimatedDelivery: "2026-11-25", window: undefined }} />);
    expect(screen.getByText("Arrives Wed 25 Nov")).toBeTruthy();
  });

  it("says when the estimate is unavailable", () => {
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "error" }} />);
    expect(screen.getByText("Delivery estimate unavailable")).toBeTruthy();
  });

  it("shows the delivery window", () => {
    const window = { earliest: "2026-11-24", latest: "2026-11-26" };
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "ready", estimatedDelivery: "2026-11-24", window }} />);
    expect(screen.getByText("Arrives Tue 24 – Thu 26 Nov")).toBeTruthy();
  });

  it("announces the whole window", () => {
    const window = { earliest: "2026-11-24", latest: "2026-11-26" };
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "ready", estimatedDelivery: "2026-11-24", window }} />);
    expect(screen.getByLabelText("Arrives between Tuesday 24 and Thursday 26 November")).toBeTruthy();
  });
});
TS
        ;;
    esac
}

# The reviewer fixes what it finds: the debug line of the handler and a missing case (backend);
# the TODO the lint rule refuses and a missing case (mobile).
reviewer_edits() {
    case $1 in
    TASK-0201)
        sed '/console\.log("eta window"/d' backend/src/shipments/eta-handler.ts > "$SCRATCH/edit"
        writes backend/src/shipments/eta-handler.ts < "$SCRATCH/edit"
        sed '$d' backend/tests/shipments/eta.test.ts > "$SCRATCH/edit"
        cat >> "$SCRATCH/edit" <<'TS'

  it("is a single day for express shipments", () => {
    const window = deliveryWindow(shipment("express", "2026-11-16"), shipment.id, fakeClock)._unsafeUnwrap();
    expect(window.latest).toBe(window.earliest);
  });
});
TS
        writes backend/tests/shipments/eta.test.ts < "$SCRATCH/edit"
        ;;
    TASK-0202)
        sed '/TODO: confirm the dash with design/d' mobile/src/shipments/ShipmentCard.tsx > "$SCRATCH/edit"
        writes mobile/src/shipments/ShipmentCard.tsx < "$SCRATCH/edit"
        sed '$d' mobile/tests/shipments/ShipmentCard.test.tsx > "$SCRATCH/edit"
        cat >> "$SCRATCH/edit" <<'TS'

  it("shows a window of one day as that day", () => {
    const window = { earliest: "2026-11-24", latest: "2026-11-24" };
    render(<ShipmentCard reference="SHP-TEST-1" eta={{ status: "ready", estimatedDelivery: "2026-11-24", window }} />);
    expect(screen.getByText("Arrives Tue 24 Nov")).toBeTruthy();
  });
});
TS
        writes mobile/tests/shipments/ShipmentCard.test.tsx < "$SCRATCH/edit"
        ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# The two arms.

# The task runner starts a task: claim (the status line becomes in_progress), then the context,
# which also gives the telemetry its place (.agent-output/TASK_ID/). Neither is recorded: the
# task runner is not an agent.
start_task() { # TASK_ID
    as_task_runner
    run_tool --claim "$1"
    tick 1
    run_tool --init-context "$1"
    tick 2
}

# The task runner ends a task once the validator is done: it collects the task's metrics, then
# completes it — --complete archives the context, telemetry included, and keeps the final
# metrics for the dashboard; at the same pinned time they must be exactly what was collected —
# and commits the result, so that the next task starts on a clean tree (--init-context refuses
# uncommitted changes other than its own task file). The pilot keeps copies of what the report
# reads from the context before it is archived.
finish_task() { # ARM TASK_ID
    local arm=$1 id=$2 name
    as_task_runner
    run_tool --collect-metrics "$id"
    cp ".agent-output/$id/metrics.json" "$SCRATCH/$arm-$id-metrics.json"
    for name in context.manifest telemetry-implementer.json telemetry-reviewer.json telemetry-validator.json; do
        cp ".agent-output/$id/$name" "$SCRATCH/$arm-$id-$name"
    done
    run_tool --complete "$id"
    [[ $(sha256sum < ".agent-output/.completed/$id/metrics.json") == $(sha256sum < "$SCRATCH/$arm-$id-metrics.json") ]] ||
        die "$arm: the metrics --complete kept for $id are not the metrics --collect-metrics wrote"
    tick 2
    git add -A
    GIT_AUTHOR_DATE=$TASKS_NOW GIT_COMMITTER_DATE=$TASKS_NOW \
        git -c user.name=pilot -c user.email=pilot@example.invalid -c commit.gpgsign=false \
        commit -q -m "$id: validated change, task completed (pilot)"
    tick 5
}

# Baseline: what agents did before the context cache. Each one finds its task through the tool's
# JSON, then reads the task file, the standards and its checklist itself, and runs the
# validation commands in its own shell (no log is kept). No snapshot, no handoff.
baseline_task() { # TASK_ID
    local id=$1 doc
    start_task "$id"

    as_agent implementer "$id"
    tool_json agent --list
    tool_json tool --explain "$id"
    # shellcheck disable=SC2046 # the paths hold no spaces
    reads $(baseline_documents "$id" implementer) $(implementer_sources "$id")
    implementer_edits "$id"
    shell_runs "$(pipeline_command "$id" val-003)"
    tick 3

    as_agent reviewer "$id"
    tool_json tool --explain "$id"
    # shellcheck disable=SC2046
    reads $(baseline_documents "$id" reviewer)
    git --no-pager diff > /dev/null # the change, as a baseline reviewer sees it
    tick 2
    # shellcheck disable=SC2046
    reads $(reviewer_sources "$id")
    reviewer_edits "$id"
    shell_runs "$(pipeline_command "$id" val-001)"
    tick 3

    as_agent validator "$id"
    tool_json tool --explain "$id"
    # shellcheck disable=SC2046
    reads $(baseline_documents "$id" validator)
    while IFS= read -r doc; do
        shell_runs "$doc"
    done < <(pipeline_commands "$id")
    tick 3

    finish_task baseline "$id"
}

# Hardened: the context cache. Each agent reads the task through --get-context (the role from
# TASKS_AGENT), opens only the source files it changes, and hands over with a snapshot that the
# next one verifies; the validator runs the pipeline through the tool, which keeps every log.
# The implementer and the reviewer run their quick checks in their shell, as in the baseline:
# the evidence is the validator's run.
hardened_task() { # TASK_ID
    local id=$1
    start_task "$id"

    as_agent implementer "$id"
    tool_json tool --get-context "$id"
    tool_json tool --update-agent "$id" --agent implementer --status in_progress
    # shellcheck disable=SC2046
    reads $(implementer_sources "$id")
    implementer_edits "$id"
    shell_runs "$(pipeline_command "$id" val-003)"
    tool_json tool --snapshot-worktree "$id" --agent implementer
    tool_json tool --update-agent "$id" --agent implementer --status done
    tick 3

    as_agent reviewer "$id"
    tool_json tool --get-context "$id"
    tool_json tool --verify-worktree "$id" --expected-agent implementer
    tool_json tool --get-diff "$id" --agent implementer
    tool_json tool --update-agent "$id" --agent reviewer --status in_progress
    # shellcheck disable=SC2046
    reads $(reviewer_sources "$id")
    reviewer_edits "$id"
    shell_runs "$(pipeline_command "$id" val-001)"
    tool_json tool --snapshot-worktree "$id" --agent reviewer --previous-agent implementer
    tool_json tool --update-agent "$id" --agent reviewer --status done
    tick 3

    as_agent validator "$id"
    tool_json tool --get-context "$id"
    cp "$SCRATCH/doc.json" "$SCRATCH/$id-validator-context.json"
    tool_json tool --verify-worktree "$id" --expected-agent reviewer
    tool_json tool --update-agent "$id" --agent validator --status in_progress
    tool_json tool --run-validation "$id" --all --agent validator
    tool_json tool --update-agent "$id" --agent validator --status done
    tick 3

    finish_task hardened "$id"
}

TASK_IDS=(TASK-0201 TASK-0202)

run_arm() { # ARM
    local arm=$1 id
    cp -R "$FIXTURE" "$WORK/$arm"
    cd "$WORK/$arm"
    clock_start 09 00
    git -c init.defaultBranch=main init -q
    git add -A
    GIT_AUTHOR_DATE=$TASKS_NOW GIT_COMMITTER_DATE=$TASKS_NOW \
        git -c user.name=pilot -c user.email=pilot@example.invalid -c commit.gpgsign=false \
        commit -q -m "Pilot fixture repository"
    tick 30
    for id in "${TASK_IDS[@]}"; do
        "${arm}_task" "$id"
        tick 10
    done
    # The arm's dashboards, JSON and HTML, from the metrics kept at completion (written into the
    # work directory, named relative to it so that the tool's output names no temporary path).
    as_task_runner
    cd "$WORK"
    "$TASKS" --repo-root "$arm" --generate-dashboard --task-ids "${TASK_IDS[@]}" \
        --output-path "$arm-dashboard.json" > "$SCRATCH/$arm-dashboard.txt"
    "$TASKS" --repo-root "$arm" --generate-dashboard --task-ids "${TASK_IDS[@]}" \
        --output-path "$arm-dashboard.html" > /dev/null
}

# ---------------------------------------------------------------------------------------------
# Reading the tool's JSON without jq: the tool pretty-prints with two spaces per level, so a key
# of the top-level object is a line `  "key": value`; a key that occurs once in a document is
# found at any depth.

top_value() { # FILE KEY
    sed -n -E "s/^  \"$2\": ([^{[]*[^,]),?\$/\1/p" "$1"
}

only_value() { # FILE KEY (a key that occurs once in the document)
    sed -n -E "s/^ *\"$2\": ([^{[]*[^,]),?\$/\1/p" "$1"
}

# A member of success_criteria_met: true, false, or nothing when the tool left it out.
criterion_met() { # FILE NAME
    awk -v key="\"$2\":" '
        /^  "success_criteria_met": \{/ { inside = 1; next }
        inside && /^  }/ { inside = 0 }
        inside && $1 == key { value = $2; sub(/,$/, "", value); print value }
    ' "$1"
}

# The items of a list of strings (`"missing_logs": ["val-001", …]`), comma-separated.
string_list() { # FILE KEY
    awk -v key="\"$2\":" '
        $1 == key && /\[\]/ { exit }
        $1 == key { inside = 1; next }
        inside && /^ *\]/ { exit }
        inside { gsub(/[",]/, ""); gsub(/^ +| +$/, ""); items = items (items == "" ? "" : ", ") $0 }
        END { print items }
    ' "$1"
}

one_decimal() { # NUMBER|null
    if [[ -z $1 || $1 == null ]]; then
        echo n/a
    else
        awk -v v="$1" 'BEGIN { printf "%.1f", v }'
    fi
}

percent() { # NUMBER|null
    local v
    v=$(one_decimal "$1")
    [[ $v == n/a ]] && echo n/a || echo "$v %"
}

metrics_file() { # ARM TASK_ID
    echo "$SCRATCH/$1-$2-metrics.json"
}

# The tool's value of a criterion for one task, formatted for the report.
criterion_value() { # ARM TASK_ID CRITERION
    local file
    file=$(metrics_file "$1" "$2")
    case $3 in
    file_reads_per_agent) one_decimal "$(top_value "$file" avg_file_reads_per_agent)" ;;
    repeated_warnings) top_value "$file" repeated_warnings ;;
    qa_artifact_coverage) percent "$(top_value "$file" qa_artifact_coverage)" ;;
    prompt_size_savings) percent "$(top_value "$file" prompt_size_savings_pct)" ;;
    json_parse_failures) top_value "$file" json_parse_failures ;;
    esac
}

# How many tasks of an arm meet a criterion (by the tool's verdict), and how many were measured.
tasks_meeting() { # ARM CRITERION
    local id met=0 measured=0 verdict
    for id in "${TASK_IDS[@]}"; do
        verdict=$(criterion_met "$(metrics_file "$1" "$id")" "$2")
        [[ -z $verdict || $verdict == null ]] || measured=$((measured + 1))
        [[ $verdict != true ]] || met=$((met + 1))
    done
    echo "$met $measured"
}

CRITERIA=(file_reads_per_agent repeated_warnings qa_artifact_coverage prompt_size_savings json_parse_failures)

criterion_label() {
    case $1 in
    file_reads_per_agent) echo "File reads per agent" ;;
    repeated_warnings) echo "Repeated warnings per task" ;;
    qa_artifact_coverage) echo "QA artifact coverage" ;;
    prompt_size_savings) echo "Prompt size saving" ;;
    json_parse_failures) echo "JSON parse failures" ;;
    esac
}

criterion_target() {
    case $1 in
    file_reads_per_agent) echo "≤ 5" ;;
    repeated_warnings) echo "≤ 1" ;;
    qa_artifact_coverage) echo "100 %" ;;
    prompt_size_savings) echo "≥ 15 %" ;;
    json_parse_failures) echo "0" ;;
    esac
}

# Both tasks' values of an arm: "a / b".
arm_values() { # ARM CRITERION
    local id out=
    for id in "${TASK_IDS[@]}"; do
        out+="${out:+ / }$(criterion_value "$1" "$id" "$2")"
    done
    echo "$out"
}

verdict_text() { # MET MEASURED
    if [[ $2 -eq 0 ]]; then
        echo "not measured"
    elif [[ $1 -eq $2 && $2 -eq ${#TASK_IDS[@]} ]]; then
        echo "yes ($1 of ${#TASK_IDS[@]} tasks)"
    else
        echo "**no** ($1 of ${#TASK_IDS[@]} tasks)"
    fi
}

# Why an arm misses a criterion, from the tool's numbers; nothing when it meets it.
shortfall() { # ARM CRITERION
    local arm=$1 name=$2 id file met measured reasons=
    read -r met measured < <(tasks_meeting "$arm" "$name")
    [[ $measured -eq 0 || $met -ne $measured || $measured -ne ${#TASK_IDS[@]} ]] || return 0
    for id in "${TASK_IDS[@]}"; do
        file=$(metrics_file "$arm" "$id")
        [[ $(criterion_met "$file" "$name") != true ]] || continue
        case $name in
        file_reads_per_agent)
            reasons+="; $id: $(one_decimal "$(top_value "$file" avg_file_reads_per_agent)") reads per agent (implementer $(only_value "$file" implementer_reads), reviewer $(only_value "$file" reviewer_reads), validator $(only_value "$file" validator_reads))"
            ;;
        repeated_warnings)
            reasons+="; $id: $(top_value "$file" repeated_warnings) repeated of $(top_value "$file" total_warnings) warnings ($(only_value "$file" unique_warnings) distinct)"
            ;;
        qa_artifact_coverage)
            reasons+="; $id: $(top_value "$file" qa_commands_with_logs) of $(top_value "$file" qa_commands_run) required commands have a stored log (none for $(string_list "$file" missing_logs))"
            ;;
        prompt_size_savings)
            if [[ $(top_value "$file" prompt_size_savings_pct) == null ]]; then
                reasons+="; $id: not measured"
            else
                reasons+="; $id: $(percent "$(top_value "$file" prompt_size_savings_pct)")"
            fi
            ;;
        json_parse_failures)
            reasons+="; $id: $(top_value "$file" json_parse_failures) of $(top_value "$file" json_calls) documents refused by the agents' check"
            ;;
        esac
    done
    echo "${reasons#; }"
}

# Why, in words, for a criterion an arm misses.
shortfall_cause() { # ARM CRITERION
    case $1:$2 in
    baseline:file_reads_per_agent) echo "Every baseline agent reads the task file, the standards it names and its checklist itself before it opens a source file." ;;
    baseline:qa_artifact_coverage) echo "The baseline agents run the validation commands in their own shell: the output is seen once and not kept, so no required command has a stored log." ;;
    baseline:prompt_size_savings) echo "The baseline agents never read the context, so the tool has no prompt size to measure; reading the files whole, they save nothing by construction." ;;
    hardened:file_reads_per_agent) echo "The hardened agents read only the source files they change; more reads than that would come from the agents, not from the documents the context replaces." ;;
    hardened:qa_artifact_coverage) echo "The validator's \`--run-validation --all\` should leave a log for every required command: a missing one means the run skipped or did not record it." ;;
    hardened:prompt_size_savings) echo "The saving is what \`--get-context\` printed against the files it stands for; a context larger than that share of its sources misses the target." ;;
    *:repeated_warnings) echo "The same warning was printed more than once in the task: see the warnings of the task's telemetry-<role>.json files." ;;
    *:json_parse_failures) echo "A JSON document the tool printed did not pass the agents' structural check." ;;
    esac
}

# ---------------------------------------------------------------------------------------------
# The report.

# The required commands whose recorded result failed, or "none".
failed_text() { # METRICS_FILE
    local failed
    failed=$(string_list "$1" failed_commands)
    echo "${failed:-none}"
}

# Per-task rows of an arm.
per_task_table() { # ARM
    local arm=$1 id file served source kb
    echo "| Task | File reads: implementer / reviewer / validator | Reads per agent | Warnings (repeated) | Required commands with a stored log | \`--get-context\`: KB served / KB of the files it stands for | JSON documents (parse failures) |"
    echo "|---|---|---|---|---|---|---|"
    for id in "${TASK_IDS[@]}"; do
        file=$(metrics_file "$arm" "$id")
        served=$(only_value "$file" current_kb)
        source=$(only_value "$file" baseline_kb)
        if [[ -n $served ]]; then
            kb="$(one_decimal "$served") / $(one_decimal "$source") ($(percent "$(top_value "$file" prompt_size_savings_pct)") saved)"
        else
            kb="no context read"
        fi
        echo "| $id | $(only_value "$file" implementer_reads) / $(only_value "$file" reviewer_reads) / $(only_value "$file" validator_reads) | $(one_decimal "$(top_value "$file" avg_file_reads_per_agent)") | $(top_value "$file" total_warnings) ($(top_value "$file" repeated_warnings)) | $(top_value "$file" qa_commands_with_logs) of $(top_value "$file" qa_commands_run) (failed: $(failed_text "$file")) | $kb | $(top_value "$file" json_calls) ($(top_value "$file" json_parse_failures)) |"
    done
}

# What to say under the comparison: its exit, and why a criterion was not compared.
compare_note() {
    local note="The means are over the two tasks."
    if [[ $COMPARE_EXIT -eq 20 ]]; then
        note+=" The command exited 20 (E027): a criterion regressed from the baseline to the hardened arm."
    else
        note+=" The command exited 0: no criterion regressed."
    fi
    if grep -q 'prompt_savings: not in both' "$SCRATCH/compare.txt"; then
        note+=" The prompt size saving is not compared: the baseline arm has no context read, so there is no value on that side."
    fi
    echo "$note"
}

# Bytes each role's --get-context printed (from the tool's telemetry of the hardened arm).
served_by_role() { # TASK_ID
    local role out=
    for role in implementer reviewer validator; do
        out+="${out:+, }$role $(only_value "$SCRATCH/hardened-$1-telemetry-$role.json" bytes_served)"
    done
    echo "$out"
}

# Bytes of the task files, standards and checklists an arm's agents opened themselves, from the
# files_read of their telemetry (each entry: path, size, read_count, in that order).
documents_read() { # ARM
    cat "$SCRATCH/$1"-TASK-*-telemetry-*.json | awk '
        /^ *"path": / { path = $2; gsub(/[",]/, "", path) }
        /^ *"size": / { size = $2; sub(/,$/, "", size) }
        /^ *"read_count": / && path ~ /^(tasks|standards|docs\/agents)\// { sum += size * $2 }
        END { print sum + 0 }
    '
}

# Bytes printed by every --get-context read of the hardened arm.
context_served() {
    cat "$SCRATCH"/hardened-TASK-*-telemetry-*.json |
        sed -n -E 's/^ *"bytes_served": ([0-9]+),?$/\1/p' | awk '{ sum += $1 } END { print sum + 0 }'
}

warnings_total() { # ARM
    local id sum=0
    for id in "${TASK_IDS[@]}"; do
        sum=$((sum + $(top_value "$(metrics_file "$1" "$id")" total_warnings)))
    done
    echo "$sum"
}

# Every value the report reads must be in the tool's documents: a key the tool renamed or
# dropped stops the pilot here rather than leaving a blank in the report.
check_documents() {
    local arm id file key
    for arm in baseline hardened; do
        for id in "${TASK_IDS[@]}"; do
            file=$(metrics_file "$arm" "$id")
            for key in avg_file_reads_per_agent repeated_warnings total_warnings qa_artifact_coverage \
                qa_commands_run qa_commands_with_logs prompt_size_savings_pct json_calls json_parse_failures; do
                [[ -n $(top_value "$file" "$key") ]] || die "$arm: no \"$key\" in the metrics of $id"
            done
            for key in implementer_reads reviewer_reads validator_reads unique_warnings; do
                [[ $(only_value "$file" "$key" | wc -l) -eq 1 ]] || die "$arm: not one \"$key\" in the metrics of $id"
            done
            grep -q '"failed_commands": \[' "$file" || die "$arm: no failed_commands list in the metrics of $id"
            for key in file_reads_per_agent repeated_warnings qa_artifact_coverage json_parse_failures; do
                [[ -n $(criterion_met "$file" "$key") ]] || die "$arm: no success_criteria_met.$key in the metrics of $id"
            done
        done
        file=$WORK/$arm-dashboard.json
        for key in all_criteria_met agents_meeting_file_read_target avg_prompt_savings total_json_parse_failures; do
            [[ -n $(top_value "$file" "$key") ]] || die "no \"$key\" in $arm-dashboard.json"
        done
        [[ $(only_value "$file" total_calls | wc -l) -eq 1 ]] || die "not one \"total_calls\" in $arm-dashboard.json"
    done
    for id in "${TASK_IDS[@]}"; do
        [[ $(cat "$SCRATCH/hardened-$id"-telemetry-*.json | grep -c '"bytes_served"') -eq 3 ]] ||
            die "hardened: no bytes_served in the telemetry of each role of $id"
    done
}

write_report() {
    local version standards_count standards_kb checklists name met measured tasks_text id
    local hardened_missed=() baseline_missed=() line manifest
    version=$("$TASKS" --version)
    local standards=("$FIXTURE"/standards/*.md) checklist_files=("$FIXTURE"/docs/agents/*.md)
    standards_count=${#standards[@]}
    standards_kb=$(one_decimal "$(cat "${standards[@]}" | wc -c | awk '{ print $1 / 1024 }')")
    checklists=${#checklist_files[@]}
    tasks_text=$(printf '%s / ' "${TASK_IDS[@]}")
    tasks_text=${tasks_text% / }
    manifest=$SCRATCH/hardened-${TASK_IDS[0]}-context.manifest

    for name in "${CRITERIA[@]}"; do
        [[ -z $(shortfall hardened "$name") ]] || hardened_missed+=("$name")
        [[ -z $(shortfall baseline "$name") ]] || baseline_missed+=("$name")
    done

    cat <<MD
# Pilot: the context cache, baseline and hardened agents

The output of \`scripts/pilot.sh\` (issue 14, item 5), unedited: $version, on the simulated day
$PILOT_DAY (every step runs at a pinned \`TASKS_NOW\`; the last one at ${TASKS_NOW:11:5} UTC).
\`cargo test --test cli pilot\` runs the script again on a copy of the fixtures and fails if its
report differs from this file by one byte.

## What this pilot is, and is not

**The agents are scripted.** Each one is a bash function of \`scripts/pilot.sh\` that runs a
fixed sequence of file reads, edits and commands with \`TASKS_AGENT\` (its role) and
\`TASKS_TASK\` (its task) set. None of them is an LLM. Both arms make the same edits to the same
files and open the same source files; they differ only in how an agent learns what to do and how
it hands over.

What it shows: that the telemetry, metrics, dashboard and comparison commands measure the five
success criteria end to end, from the events the agents and the tool record, on a repository
shaped like a real one; and what the numbers are for these two ways of working. What it does not
show: how real agents behave. Every count below follows from the script — a baseline agent reads
the standards because it is written to — so the pilot tests the instruments and the shape of the
workflow, not whether an LLM given the context reads fewer files, needs nothing else, or prints
fewer malformed documents. Real sessions, recorded through the Claude Code hook
(\`tasks --record-telemetry --from-hook\`), are what would show that.

## Setup

- **Repository**: \`fixtures/pilot/\`, copied once per arm, \`git init\`-ed and committed. Two
  tasks, a backend one and a mobile one, each with a plan of three steps and a validation
  pipeline of POSIX \`sh\` stand-ins for ESLint, tsc and Jest (\`scripts/qa/\`: the same log
  formats, no Node needed); standards files of several sections each, of which the tasks cite a
  few; the three agent checklists of \`docs/agents/\`; a small TypeScript source tree. Tasks:
  $tasks_text. Standards: $standards_count files, $standards_kb KB. Checklists: $checklists.
- **Lifecycle**, for each task in turn: the task runner claims it and builds its context
  (\`--claim\`, \`--init-context\`); the implementer, the reviewer and the validator work one
  after the other on the same tree; the task runner collects the task's metrics
  (\`--collect-metrics\`), completes it (\`--complete\`: the context, telemetry included, is
  archived, and the final metrics are kept for the dashboard — the script checks that they are
  byte for byte the ones it collected) and commits the result, since \`--init-context\` of the
  next task refuses uncommitted changes other than its own task file. The task runner's commands
  are not recorded: it is not one of the three agents, and a fourth telemetry file would count
  as a fourth agent in the averages. At the end, \`--generate-dashboard\` (JSON and HTML) per arm,
  from the kept metrics, and \`--compare-metrics\` of the two dashboards.
- **Baseline arm**: each agent finds its task through the tool's JSON (\`--list\`, \`--explain\`),
  then reads the task file, the standards every agent prompt names (\`global.md\`,
  \`AGENTS.md\`), the standards the task file names and its tier's file, and its own checklist,
  with \`cat\`. It runs the validation commands it needs in its own shell (the validator: all of
  them), so no log is kept. No snapshot, no handoff.
- **Hardened arm**: each agent reads \`--get-context ID --format json\` (the role from
  \`TASKS_AGENT\`) and sets its status with \`--update-agent\`. The implementer snapshots the tree
  when done; the reviewer verifies that snapshot (\`--verify-worktree --expected-agent
  implementer\`), reads the diff (\`--get-diff\`), amends and snapshots with the implementer as
  previous agent; the validator verifies the reviewer's snapshot and runs the whole pipeline with
  \`--run-validation --all --agent validator\`, which keeps every command's log.
- **Same work in both arms**: the implementer opens and changes the three files of the plan's
  outputs and runs the unit tests in its shell; the reviewer opens and fixes two of them (a debug
  \`console.log\` left in the backend handler, a \`TODO\` the lint rule refuses in the mobile card,
  and one missing test case each) and runs the lint command in its shell. The hardened implementer
  and reviewer run these checks in their shell too, not through \`--run-validation\`: a recorded
  run puts its measured duration into the context, and every later \`--get-context\` would print a
  few bytes more or fewer from one run to the next, so this report could not be reproduced byte
  for byte. The evidence is the validator's run.

### What is counted, and by whom

| criterion | counted from |
|---|---|
| file reads per agent | the agents' \`--record-telemetry --event file_read\`, one per file opened (documents and source files alike); per task, all reads ÷ the number of agents with telemetry |
| repeated warnings | the \`Warning:\` lines the tool printed on stderr. The tool records its own for every command about a task (the task id is the command's value) run with a role; the agents record the others' (here \`--list\`), so no warning is counted twice |
| QA artifact coverage | the tool: required pipeline commands whose result has a log kept in the task's evidence |
| prompt size saving | the tool, for each \`--get-context\` read: 1 − bytes printed ÷ bytes of the files the context stands for (its manifest: the task file, each cited standards file whole, every checklist of \`docs/agents/\`), over all reads of the task |
| JSON parse failures | JSON documents: the tool counts those it prints for commands about a task when the role is known; the agents record a \`json_call\` only for the others (\`--list\`), so none is counted twice. Failures: the agents, for each document their check refuses |

The agents' JSON check has no \`jq\`: it takes the strings out (a quote left over is a string
that does not end), requires that only whitespace, \`{ } [ ] : ,\`, numbers and
\`true\`/\`false\`/\`null\` remain, then collapses \`[]\`, \`{}\`, \`[v,…]\` and \`{"k":v,…}\`
into values until the document is exactly one value. It does not check escape sequences or
UTF-8 inside strings. Each run first checks the check: it must accept $JSON_SELF_TEST_VALID valid documents and
refuse $JSON_SELF_TEST_BROKEN broken ones (unterminated, missing colon or comma, trailing comma,
bad literal, leading zero, a bare word, two documents, …).

## Reproduce

\`\`\`sh
cargo build --release
scripts/pilot.sh --tasks target/release/tasks --workdir /tmp/tasks-pilot   # rewrites this file
cargo test --test cli pilot   # runs it again on a copy of the fixtures; compares with this file
\`\`\`

The work directory keeps both repositories (each completed task's context, telemetry and QA logs
included, archived in \`.agent-output/.completed/\`) and the dashboards:
\`baseline-dashboard.json\`, \`baseline-dashboard.html\`, \`hardened-dashboard.json\`,
\`hardened-dashboard.html\`.

## The five criteria

Values per task ($tasks_text), from \`tasks --collect-metrics\` (the metrics \`--complete\` kept and the dashboards read); a criterion is met when the tool's verdict (\`success_criteria_met\`) is true for every task.

| Criterion | Target | Baseline | Hardened | Met by the hardened arm? | Met by the baseline arm? |
|---|---|---|---|---|---|
MD
    for name in "${CRITERIA[@]}"; do
        read -r met measured < <(tasks_meeting hardened "$name")
        line="| $(criterion_label "$name") | $(criterion_target "$name") | $(arm_values baseline "$name") | $(arm_values hardened "$name") | $(verdict_text "$met" "$measured")"
        read -r met measured < <(tasks_meeting baseline "$name")
        echo "$line | $(verdict_text "$met" "$measured") |"
    done
    cat <<MD

- The dashboards' verdict (\`all_criteria_met\`): baseline $(top_value "$WORK/baseline-dashboard.json" all_criteria_met), hardened $(top_value "$WORK/hardened-dashboard.json" all_criteria_met).
- A dashboard judges file reads by the share of agents with at most 5 reads (80 % or more must have): baseline $(percent "$(top_value "$WORK/baseline-dashboard.json" agents_meeting_file_read_target)"), hardened $(percent "$(top_value "$WORK/hardened-dashboard.json" agents_meeting_file_read_target)").
- JSON documents printed and checked: baseline $(only_value "$WORK/baseline-dashboard.json" total_calls) ($(top_value "$WORK/baseline-dashboard.json" total_json_parse_failures) refused), hardened $(only_value "$WORK/hardened-dashboard.json" total_calls) ($(top_value "$WORK/hardened-dashboard.json" total_json_parse_failures) refused).

## Per task

### Baseline arm

$(per_task_table baseline)

### Hardened arm

$(per_task_table hardened)

The \`--get-context\` column adds up the three reads of each task (one per agent). Bytes printed
by each role's read, from the tool's telemetry:

$(for id in "${TASK_IDS[@]}"; do echo "- $id: $(served_by_role "$id")"; done)

The document grows along the task: it holds the coordination of every role, the snapshots of
the roles before included (\`--role ROLE\` would print only the caller's own).

## Baseline → hardened

\`tasks --compare-metrics --baseline-path baseline-dashboard.json --current-path hardened-dashboard.json\`:

\`\`\`text
$(cat "$SCRATCH/compare.txt")
\`\`\`

$(compare_note)

## Dashboards

The text output of \`tasks --generate-dashboard --task-ids $(printf '%s ' "${TASK_IDS[@]}")--output-path <arm>-dashboard.json\` on each arm
(the \`.html\` page shows the same numbers as charts). In the first table, **Actual** is what the
**Target** column judges: the share of agents (file reads) or of tasks (warnings, QA) meeting the
criterion, the average saving, the failures.

Baseline:

\`\`\`text
$(cat "$SCRATCH/baseline-dashboard.txt")
\`\`\`

Hardened:

\`\`\`text
$(cat "$SCRATCH/hardened-dashboard.txt")
\`\`\`

## Criteria not met

### Hardened arm

MD
    if [[ ${#hardened_missed[@]} -eq 0 ]]; then
        echo "None: the hardened arm meets all five criteria on both tasks."
    else
        for name in "${hardened_missed[@]}"; do
            echo "- **$(criterion_label "$name")** (target $(criterion_target "$name")): $(shortfall hardened "$name"). $(shortfall_cause hardened "$name")"
        done
    fi
    cat <<MD

### Baseline arm, for comparison

MD
    if [[ ${#baseline_missed[@]} -eq 0 ]]; then
        echo "None: the baseline arm meets all five criteria on both tasks."
    else
        for name in "${baseline_missed[@]}"; do
            echo "- **$(criterion_label "$name")** (target $(criterion_target "$name")): $(shortfall baseline "$name"). $(shortfall_cause baseline "$name")"
        done
    fi
    cat <<MD

## Caveats

MD
    # What the context document holds, checked on the validator's read of the first task.
    local context=$SCRATCH/${TASK_IDS[0]}-validator-context.json holds_excerpts=no holds_checklists=no
    ! grep -qF 'Request parsing uses the Zod schema of the route' "$context" || holds_excerpts=yes
    ! grep -qF 'Write or update the unit tests of every rule' "$context" || holds_checklists=yes
    if [[ $holds_excerpts == no || $holds_checklists == no ]]; then
        local holds
        if [[ $holds_excerpts == yes ]]; then
            holds="the cited sections' text"
        else
            holds="each cited section's first sentence (\`requirement\`) and line span, not the section's text"
        fi
        if [[ $holds_checklists == yes ]]; then
            holds+=", and the checklists"
        else
            holds+=", and none of the checklists"
        fi
        local read served
        read=$(documents_read baseline)
        served=$(context_served)
        cat <<MD
- **The prompt size saving flatters the context.** The tool counts, as what the context stands for, every cited standards file whole and every checklist of \`docs/agents/\` (the $(grep -c '"purpose"' "$manifest") files of ${TASK_IDS[0]}'s manifest). The \`--get-context\` document holds $holds (checked on the validator's read of ${TASK_IDS[0]}). An agent that needs a section in full, or its checklist, reads the cached copies in the context's \`evidence/\`: file reads that the hardened agents of this pilot do not make. Measured instead against what the baseline agents did open of the task files, standards and checklists ($(one_decimal "$(awk -v b="$read" 'BEGIN { print b / 1024 }')") KB over both tasks, by their telemetry), the hardened agents' context reads ($(one_decimal "$(awk -v b="$served" 'BEGIN { print b / 1024 }')") KB) are $(percent "$(awk -v s="$served" -v b="$read" 'BEGIN { print (1 - s / b) * 100 }')") smaller, where the tool reports $(percent "$(top_value "$WORK/hardened-dashboard.json" avg_prompt_savings)") (the dashboard's mean).
MD
    fi
    if [[ $(warnings_total baseline) -eq 0 && $(warnings_total hardened) -eq 0 ]]; then
        cat <<MD
- **No warning was printed in either arm**, so the warnings criterion does not tell the arms
  apart here: the fixtures have no malformed task file and no stale context, the usual sources.
MD
    fi
    cat <<MD
- **Same files, same edits**: the arms differ in how an agent learns the task and hands over,
  not in the work. Real agents in the baseline would also open files to find their way; real
  agents with the context might open more source files than the plan names.
MD
}

# ---------------------------------------------------------------------------------------------

json_self_test
run_arm baseline
run_arm hardened
cd "$WORK"
tick 2
# Exit 20 (E027) is a regression: a result to report, not a failure of the pilot.
COMPARE_EXIT=0
"$TASKS" --repo-root hardened --compare-metrics --baseline-path baseline-dashboard.json \
    --current-path hardened-dashboard.json > "$SCRATCH/compare.txt" 2> "$SCRATCH/compare-err.txt" || COMPARE_EXIT=$?
[[ $COMPARE_EXIT -eq 0 || $COMPARE_EXIT -eq 20 ]] || { cat "$SCRATCH/compare-err.txt" >&2; die "--compare-metrics failed (exit $COMPARE_EXIT)"; }
check_documents
write_report > "$SCRATCH/report.md"
cp "$SCRATCH/report.md" "$REPORT"
echo "pilot: report written to $REPORT"
echo "pilot: dashboards in $WORK (baseline-dashboard.html, hardened-dashboard.html)"
