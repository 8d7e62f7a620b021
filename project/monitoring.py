"""GET /metrics: this process's metrics (realtime.metrics) in Prometheus'
text format, for whoever holds METRICS_TOKEN (`Authorization: Bearer
<token>`); 403 for anyone else, and for everyone while it is unset.

Each process answers for itself: scrape every process (README,
Operations). Gauges that cost something to know are read here, at scrape
time, on the event loop whose sockets they describe.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from realtime import metrics, relay
from realtime.outbox import outbox


def _authorized(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


async def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _authorized(request):
        return JsonResponse(
            {"detail": "Send Authorization: Bearer <METRICS_TOKEN>."}, status=403
        )
    metrics.RELAY_BACKLOG.set(relay.backlog())
    metrics.OUTBOX_BACKLOG.set(outbox.backlog())
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
