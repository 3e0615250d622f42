#!/usr/bin/env bash
# The reconciliation story on a fresh clone, on the embedded defaults (PGlite in a temporary
# DATA_DIR) and the sandbox amoCRM as its own server:
#   1. calls of yesterday come in and land on the CRM;
#   2. the CRM loses some on purpose: one note deleted, one note's recording link removed;
#   3. `calltrail reconcile --date <yesterday>` finds both and repairs them (exit code 0);
#   4. the service is started again and the run is in the console at /admin/runs.
# Needs bash, curl, and the machine's Node (Node 22 is fetched by the launcher when older).
#   bash scripts/demo-reconcile.sh            # leaves the service running on :3000 at the end
#   DEMO_KEEP=0 bash scripts/demo-reconcile.sh   # stops everything at the end (CI, tests)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-3000}"
CRM_PORT="${CRM_PORT:-4010}"
DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/calltrail-demo-XXXXXX")"
export DATA_DIR PORT
export AMOCRM_BASE_URL="http://127.0.0.1:${CRM_PORT}" AMOCRM_LONG_LIVED_TOKEN=sandbox-token AMOCRM_RPS=20
export GENERIC_WEBHOOK_SECRET=demo-secret-change-me-0123456789 ADMIN_TOKEN=demo-admin-token-0123456789
export LOG_LEVEL=warn SETTLE_SECONDS=1
API="http://127.0.0.1:${PORT}"
auth=(-H "Authorization: Bearer ${ADMIN_TOKEN}")

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for() { # URL, what
  for _ in $(seq 1 120); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "demo: $2 did not come up" >&2; exit 1
}
start_service() {
  node bin/calltrail.mjs serve >"${DATA_DIR}/service.log" 2>&1 &
  service_pid=$!
  pids+=("$service_pid")
  wait_for "${API}/health" "the service"
}

# The PBX's recordings: a 3-second WAV per call, served on :${PBX_PORT}; calltrail archives them
# (local storage in DATA_DIR) and links each note to its MP3.
PBX_PORT="${PBX_PORT:-8010}"
node -e '
  const rate = 8000, n = rate * 3, wav = Buffer.alloc(44 + n * 2);
  wav.write("RIFF", 0); wav.writeUInt32LE(36 + n * 2, 4); wav.write("WAVEfmt ", 8); wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(rate, 24); wav.writeUInt32LE(rate * 2, 28);
  wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write("data", 36); wav.writeUInt32LE(n * 2, 40);
  for (let i = 0; i < n; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), 44 + i * 2);
  require("node:http").createServer((q, r) => { r.writeHead(200, { "content-type": "audio/wav" }); r.end(wav); }).listen(Number(process.argv[1]), "127.0.0.1");
' "$PBX_PORT" &
pids+=("$!")
printf '{"recordings":{"allowed_hosts":{"generic":["127.0.0.1"]},"allow_private_hosts":true}}' >"${DATA_DIR}/calltrail.json"
export CONFIG_FILE="${DATA_DIR}/calltrail.json"

echo "== the sandbox amoCRM on :${CRM_PORT}, the service on :${PORT} (PGlite in ${DATA_DIR})"
node bin/calltrail.mjs sandbox-crm --port "$CRM_PORT" --token sandbox-token --rps 20 >"${DATA_DIR}/crm.log" 2>&1 &
pids+=("$!")
wait_for "${AMOCRM_BASE_URL}/__sandbox/stats" "the sandbox CRM"
wait_for "http://127.0.0.1:${PBX_PORT}/" "the PBX's recording server"
start_service

# Yesterday in Moscow (the default time zone), 10:00 onwards.
DAY="$(TZ=Europe/Moscow date -d yesterday +%F)"
echo "== five calls of ${DAY} from Ivan Petrov (+7 495 123-45-67)"
for i in 1 2 3 4 5; do
  body="{\"type\":\"call.ended\",\"call_id\":\"demo-${i}\",\"direction\":\"inbound\",\"from\":\"+7 (495) 123-45-67\",\"to\":\"101\",\"extension\":\"101\",\"started_at\":\"${DAY}T1${i}:00:00+03:00\",\"answered_at\":\"${DAY}T1${i}:00:05+03:00\",\"ended_at\":\"${DAY}T1${i}:02:05+03:00\",\"disposition\":\"answered\",\"recording\":{\"id\":\"demo-r${i}\",\"url\":\"http://127.0.0.1:${PBX_PORT}/demo-${i}.wav\"}}"
  printf '%s' "$body" >"${DATA_DIR}/body.json"
  sig="$(node bin/calltrail.mjs sign --secret "$GENERIC_WEBHOOK_SECRET" "${DATA_DIR}/body.json")"
  curl -sf -X POST "${API}/v1/pbx/generic/events" -H 'Content-Type: application/json' -H "X-Calltrail-Signature: ${sig}" --data-binary "@${DATA_DIR}/body.json" >/dev/null
done
for _ in $(seq 1 120); do
  delivered="$(curl -sf "${auth[@]}" "${API}/v1/calls?state=delivered" | grep -o '"delivery_state":"delivered"' | wc -l)"
  [ "$delivered" -ge 5 ] && break
  sleep 0.5
done
echo "   delivered: ${delivered} of 5"
[ "$delivered" -ge 5 ] || { echo "demo: the calls were not delivered" >&2; exit 1; }

uniq_of() { curl -sf "${auth[@]}" "${API}/v1/calls?state=delivered" | node -e "
  let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const c=JSON.parse(s).items.find(i=>i.call_key===process.argv[1]);
  fetch('${API}/v1/calls/'+c.id,{headers:{authorization:'Bearer ${ADMIN_TOKEN}'}}).then(r=>r.json()).then(d=>console.log(d.deliveries[0].uniq))})" "$1"; }
echo "== the CRM loses some on purpose: demo-2's note deleted, demo-4's recording link removed"
curl -sf -X DELETE "${AMOCRM_BASE_URL}/__sandbox/notes/$(uniq_of demo-2)" >/dev/null
curl -sf -X DELETE "${AMOCRM_BASE_URL}/__sandbox/notes/$(uniq_of demo-4)/link" >/dev/null

echo "== stop the service (PGlite belongs to one process) and reconcile ${DAY}"
kill "$service_pid"; wait "$service_pid" 2>/dev/null || true
set +e
node bin/calltrail.mjs reconcile --date "$DAY" 2>"${DATA_DIR}/reconcile.log"
code=$?
set -e
echo "   calltrail reconcile exited ${code}"
[ "$code" -eq 0 ] || { cat "${DATA_DIR}/reconcile.log" >&2; exit 1; }
state="$(curl -sf "${AMOCRM_BASE_URL}/__sandbox/state")"
notes="$(printf '%s' "$state" | grep -o '"uniq":"' | wc -l)"
links="$(printf '%s' "$state" | grep -o '"link":"[^"]*/recordings/[^"]*"' | wc -l)"
echo "   call notes in the CRM now: ${notes}, with a recording link: ${links} (5 calls)"
[ "$notes" -eq 5 ] && [ "$links" -eq 5 ] || { echo "demo: expected 5 call notes, each with its recording" >&2; exit 1; }

start_service
run="$(curl -sf "${auth[@]}" "${API}/v1/reconcile/runs?limit=1" | grep -o '"id":"[0-9a-f-]*"' | head -1 | cut -d'"' -f4)"
echo "== the run in the console: ${API}/admin/runs/${run}  (log in with ADMIN_TOKEN=${ADMIN_TOKEN})"
echo "   JSON: ${API}/v1/reconcile/runs/${run}   CSV: ${API}/v1/reconcile/runs/${run}.csv"
if [ "${DEMO_KEEP:-1}" = "1" ]; then
  echo "   (Ctrl-C stops the service and the sandbox CRM)"
  wait "$service_pid"
fi
