"""Render stage: the Envoy listeners — five fixed ones plus one per agent listener — and their routes."""

from __future__ import annotations

from planoai_cli.contract import (
    AGENT_LISTENER_HEADER,
    DEFAULT_AGENT_TIMEOUT,
    DEFAULT_MODEL_LISTENER,
    DEFAULT_MODEL_PORT,
    DEFAULT_PROMPT_LISTENER,
    HEALTH_PATH,
    LLM_EGRESS_PORT,
    OUTBOUND_PORT,
    PREFIX_HASH_HEADER,
    PROMPT_HOP_PORT,
    PROMPT_INGRESS_PORT,
    PROVIDER_HEADER,
    UPSTREAM_HEADER,
)
from planoai_cli.model import Listener, PlanoConfig
from planoai_cli.render import paths as files
from planoai_cli.render.context import HttpListener, Route, Tracing
from planoai_cli.render.paths import RenderPaths
from planoai_cli.render.services import EndpointTarget

ANY_ADDRESS = "0.0.0.0"
INTERNAL_TIMEOUT = "300s"  # route timeout on the internal hops (10001, 11000, 12001)
BRIGHTSTAFF = "bright_staff"
PROMPT_HOP = "arch_prompt_gateway_listener"
# Access log lines: request, status, sizes, timing, client and upstream (12000/12001 add the attempt count).
LOG_LINE = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    "%RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "
    '"%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" '
    '"%UPSTREAM_HOST%" "%UPSTREAM_CLUSTER%"'
)
LOG_STANDARD = LOG_LINE + "\n"
LOG_ATTEMPTS = LOG_LINE + " attempts=%UPSTREAM_REQUEST_ATTEMPT_COUNT%\n"
INBOUND_SPAN = "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"
OUTBOUND_SPAN = "%REQ(:METHOD)% %REQ(:AUTHORITY)%%REQ(:PATH)%"
NO_PROVIDER_BODY = f"the {PROVIDER_HEADER} header is missing, so no model provider can be chosen\n"
# On 10001 and 12001 Plano's plugins answer a `:path` of exactly /healthz themselves, before routing. This route
# gives the same answer when a stand-in plugin passes the request on (offline testbed); with the real plugins it
# is never reached. Matching the `:path` header (query included) is the plugins' own test; `path:` would drop the query.
PLUGIN_HEALTH = Route("/", ":path", HEALTH_PATH, status=200)


def envoy_listeners(
    config: PlanoConfig,
    paths: RenderPaths,
    targets: tuple[EndpointTarget, ...],
    provider_clusters: tuple[str, ...],
    orchestrator: str | None,
) -> tuple[HttpListener, ...]:
    """In emission order: prompt ingress, prompt hop, outbound router, agent listeners, model ingress, LLM egress."""
    sampling = (config.tracing.random_sampling or 0) if config.tracing else 0
    inbound = Tracing("plano(inbound)", sampling, INBOUND_SPAN) if sampling > 0 else None
    outbound = Tracing("plano(outbound)", sampling, OUTBOUND_SPAN) if sampling > 0 else None
    model = config.model_listener
    retries = model.max_retries if model is not None and model.max_retries else None
    agents = tuple(_agent(li, paths, inbound) for li in config.listeners if li.type == "agent")
    return (
        _prompt_ingress(config, paths, inbound),
        HttpListener(
            "ingress_traffic_prompt",
            ANY_ADDRESS,
            PROMPT_HOP_PORT,
            "INBOUND",
            "ingress_traffic",
            paths.log(files.ACCESS_PROMPT),
            LOG_STANDARD,
            "prompt",
            (PLUGIN_HEALTH, *_provider_routes(provider_clusters, None, orchestrator)),
        ),
        HttpListener(
            "outbound_api_traffic",
            ANY_ADDRESS,
            OUTBOUND_PORT,
            "OUTBOUND",
            "outbound_api_traffic",
            paths.log(files.ACCESS_INTERNAL),
            LOG_STANDARD,
            "router",
            _outbound_routes(targets),
        ),
        *agents,
        _model_ingress(model, paths),
        HttpListener(
            "egress_traffic_llm",
            ANY_ADDRESS,
            LLM_EGRESS_PORT,
            None,
            "egress_traffic",
            paths.log(files.ACCESS_LLM),
            LOG_ATTEMPTS,
            "llm",
            (
                PLUGIN_HEALTH,
                *_provider_routes(provider_clusters, retries, None),
                Route("/", status=400, body=NO_PROVIDER_BODY),
            ),
            outbound,
        ),
    )


def _prompt_ingress(config: PlanoConfig, paths: RenderPaths, tracing: Tracing | None) -> HttpListener:
    # Bound whether or not a prompt listener is declared (the prompt plugin's public entry).
    li = next((li for li in config.listeners if li.type == "prompt"), None)
    address = (li.address if li else None) or DEFAULT_PROMPT_LISTENER["address"]
    timeout = (li.timeout if li else None) or DEFAULT_PROMPT_LISTENER["timeout"]
    return HttpListener(
        "ingress_traffic",
        address,
        li.port if li else PROMPT_INGRESS_PORT,
        "INBOUND",
        "plano(inbound)",
        paths.log(files.ACCESS_INGRESS),
        LOG_STANDARD,
        "router",
        (Route("/", cluster=PROMPT_HOP, timeout=timeout),),
        tracing,
    )


def _model_ingress(li: Listener | None, paths: RenderPaths) -> HttpListener:
    address = (li.address if li else None) or DEFAULT_MODEL_LISTENER["address"]
    timeout = (li.timeout if li else None) or DEFAULT_MODEL_LISTENER["timeout"]
    routes = (Route(HEALTH_PATH, status=200), Route("/", cluster=BRIGHTSTAFF, timeout=timeout))
    return HttpListener(
        "egress_traffic",
        address,
        li.port if li else DEFAULT_MODEL_PORT,
        "OUTBOUND",
        "egress_traffic",
        paths.log(files.ACCESS_LLM),
        LOG_ATTEMPTS,
        "codecs",
        routes,
    )


def _agent(li: Listener, paths: RenderPaths, tracing: Tracing | None) -> HttpListener:
    routes = (
        Route(HEALTH_PATH, status=200),
        Route("/", cluster=BRIGHTSTAFF, timeout=li.timeout or DEFAULT_AGENT_TIMEOUT, prefix_rewrite="/agents/"),
    )
    # Header values are Envoy format strings: a literal `%` is written `%%`.
    name_header = (AGENT_LISTENER_HEADER, li.name.replace("%", "%%"))
    return HttpListener(
        li.envoy_name,
        li.address or ANY_ADDRESS,
        li.port,
        None,
        f"{li.envoy_name}_traffic",
        paths.log(files.ACCESS_AGENT),
        None,
        "codecs",
        routes,
        tracing,
        (name_header,),
    )


def _provider_routes(clusters: tuple[str, ...], retries: int | None, orchestrator: str | None) -> tuple[Route, ...]:
    routes = [Route("/", PROVIDER_HEADER, name, name, INTERNAL_TIMEOUT, retries=retries) for name in clusters]
    if orchestrator is not None:
        routes.append(Route("/", PROVIDER_HEADER, orchestrator, orchestrator, INTERNAL_TIMEOUT))
    return tuple(routes)


def _outbound_routes(targets: tuple[EndpointTarget, ...]) -> tuple[Route, ...]:
    return (
        Route("/", UPSTREAM_HEADER, BRIGHTSTAFF, BRIGHTSTAFF, INTERNAL_TIMEOUT),
        *(
            Route(
                "/",
                UPSTREAM_HEADER,
                t.name,
                t.name,
                INTERNAL_TIMEOUT,
                hash_header=PREFIX_HASH_HEADER if t.prefix_affinity else None,
            )
            for t in targets
        ),
    )
