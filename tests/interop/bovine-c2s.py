"""Client-to-server access to a bovine-herd actor started by bovine-herd.sh (bovine.BovineClient, Moo-Auth-1).

    bovine-c2s.py HERD_URL SECRET send ACTIVITY_JSON
        POSTs the activity to the actor's outbox ("actor" is filled in when missing; "@context" too) and
        prints `STATUS <code>` and `LOCATION <id of the stored activity>`. The herd then delivers it, signed,
        to the addressees. Exit 0 on a 2xx answer, 1 otherwise.
    bovine-c2s.py HERD_URL SECRET inbox [MAX]
        Prints a JSON array of the actor's inbox items (newest first, at most MAX, default 50), each
        resolved through the herd's proxyUrl so a test sees the stored activity, not only its id.

HERD_URL is https://localhost:PORT, SECRET the `SECRET` line of bovine-herd.sh. The herd's self-signed
certificate must be trusted: pass the `CERT` path in HERD_CERT (or SSL_CERT_FILE). Exit 2 on usage errors.
Run with the herd's venv (.ci/venv-herd/bin/python).
"""

import asyncio
import json
import os
import sys


def usage():
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if len(sys.argv) < 4 or sys.argv[3] not in ("send", "inbox"):
    usage()
HERD_URL, SECRET, COMMAND = sys.argv[1:4]

# aiohttp builds its default TLS context when it is imported, so the certificate must be named first.
if os.environ.get("HERD_CERT"):
    os.environ["SSL_CERT_FILE"] = os.environ["HERD_CERT"]

from bovine import BovineClient  # noqa: E402


async def send(client, activity):
    activity.setdefault("@context", "https://www.w3.org/ns/activitystreams")
    activity.setdefault("actor", client.information["id"])
    response = await client.send_to_outbox(activity)
    print(f"STATUS {response.status}")
    print(f"LOCATION {response.headers.get('location', '')}")
    return 0 if 200 <= response.status < 300 else 1


async def inbox(client, limit):
    # bovine's CollectionHelper fetches the collection itself through proxyUrl, which the herd answers
    # with 404 for its own inbox; so read the pages with a direct (Moo-Auth signed) GET and use the proxy
    # only for the items, which the herd has stored.
    page = await client.get(client.information["inbox"])
    page = page.get("first", page)
    items = []
    while page is not None and len(items) < limit:
        if isinstance(page, str):
            page = await client.get(page)
        for item in page.get("orderedItems", page.get("items", []))[: limit - len(items)]:
            if isinstance(item, str):
                try:
                    item = await client.proxy(item)
                except Exception as e:  # keep the id: the test still sees that something arrived
                    print(f"bovine-c2s: could not resolve {item}: {e!r}", file=sys.stderr)
            items.append(item)
        page = page.get("next")
    print(json.dumps(items, indent=2))
    return 0


async def main():
    async with BovineClient(domain=HERD_URL, secret=SECRET) as client:
        if COMMAND == "send":
            if len(sys.argv) != 5:
                usage()
            return await send(client, json.loads(sys.argv[4]))
        limit = int(sys.argv[4]) if len(sys.argv) > 4 else 50
        return await inbox(client, limit)


sys.exit(asyncio.run(main()))
