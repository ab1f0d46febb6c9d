#!/bin/sh
# Run once per `docker compose up` by the prefect-setup service (the sohoa image, from /opt/sohoa/src), and by
# hand on a bare-metal install after each upgrade; idempotent. Needs PREFECT_API_URL (and PREFECT_API_AUTH_STRING
# when the server has one).
#   1. the process work pool `sohoa` every worker polls, with its concurrency limit (flow runs at once);
#   2. the global limit on task runs tagged `tesseract` (the OCR-heavy tasks), across every worker;
#   3. the automations of flows/automations.yaml (a run whose heartbeats stop is marked Crashed), each once;
#   4. every deployment of prefect.yaml, run from this folder: the workers run the code at this same path.
set -eu

# Bare metal: the checkout's virtualenv (the image has its own first on PATH already).
if [ -x .venv/bin/prefect ]; then PATH="$PWD/.venv/bin:$PATH"; export PATH; fi

pool_limit="${POOL_CONCURRENCY_LIMIT:-6}"
tesseract_limit="${TESSERACT_CONCURRENCY_LIMIT:-2}"

prefect work-pool inspect sohoa >/dev/null 2>&1 || prefect work-pool create sohoa --type process
prefect work-pool set-concurrency-limit sohoa "$pool_limit"
# Creating a tag limit that exists sets it to the new value.
prefect concurrency-limit create tesseract "$tesseract_limit"
# `prefect automation create` adds a copy each time: only when one of the file's automations is missing.
if ! python3 - <<'PY'
import asyncio, sys
import yaml
from prefect.client.orchestration import get_client

names = [automation["name"] for automation in yaml.safe_load(open("flows/automations.yaml"))["automations"]]

async def missing():
    async with get_client() as client:
        return [name for name in names if not await client.read_automations_by_name(name)]

sys.exit(1 if asyncio.run(missing()) else 0)
PY
then
    prefect automation create --from-file flows/automations.yaml
fi
prefect --no-prompt deploy --all
echo "work pool sohoa: at most ${pool_limit} flow runs; tag tesseract: at most ${tesseract_limit} task runs"
