"""Operations endpoints: the optimizer's status, liveness, readiness, Prometheus metrics, voices, music,
the choices of render options."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.schemas import MusicOut, VoiceOut
from app.api.service import PrincipalDep, ServiceDep

router = APIRouter(tags=["operations"])


@router.get("/v1/status", summary="The system optimizer's status (the seed's get_optimization_status)")
async def status(service: ServiceDep, _: PrincipalDep) -> dict[str, Any]:
    return await service.optimizer.status()


@router.get("/v1/voices", summary="The voices API callers may choose (ENGINE:VOICE specs)")
async def voices(service: ServiceDep, _: PrincipalDep) -> list[VoiceOut]:
    offered = await asyncio.to_thread(service.runtime.renderer.tts.config.caller_voices.offered)
    return [VoiceOut.model_validate(dataclasses.asdict(voice)) for voice in offered]


@router.get("/v1/music", summary="The music tracks API callers may choose (T2V_MUSIC_DIR)")
async def music(service: ServiceDep, _: PrincipalDep) -> list[MusicOut]:
    from app.services.audio import listed_tracks

    tracks = await asyncio.to_thread(listed_tracks, service.runtime.settings.music_dir)
    return [MusicOut(name=name, size_bytes=size) for name, size in tracks]


@router.get(
    "/v1/options",
    summary="Render options picked from a fixed set (caption styles, motion, transitions): values, default",
)
async def options(_: PrincipalDep) -> dict[str, dict[str, Any]]:
    from app.services.options import option_choices

    return option_choices()


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: the job store answers")
async def readyz(service: ServiceDep) -> JSONResponse:
    if service.draining:
        return JSONResponse({"status": "draining"}, status_code=503)
    try:
        store = await service.store()
        await asyncio.wait_for(store.now(), timeout=3)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "detail": f"job store: {exc}"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(service: ServiceDep) -> Response:
    body = await service.metrics.scrape(service.optimizer)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
