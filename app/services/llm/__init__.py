"""An optional LLM writes the script (issue 17): `--llm openai:MODEL[@BASE_URL]`, a document or a topic.

    writer = ScriptWriter(http, LLMConfig.from_settings(settings))
    draft = await writer.draft(document_or_Topic, config.spec("openai:gpt-4o-mini"), seconds=90)
    plan = draft_plan(draft)            # layouts, pictures and voices are t2v's choice

`POST {BASE_URL}/chat/completions` through the pooled client, under the LLM's own slot, with a
`response_format` JSON schema; answers validated (pydantic) and asked again with their problems;
long documents chunked; the script in the document's (or topic's) language. No LLM configured:
nothing here runs, and everything else works offline.
"""

from app.services.llm.config import LLMConfig, LLMSpec, parse_llm_spec
from app.services.llm.draft import DraftScene, ScriptDraft, answer_schema, parse_answer
from app.services.llm.estimate import Estimate, estimate_render
from app.services.llm.source import document_source
from app.services.llm.to_plan import draft_plan
from app.services.llm.writer import LLMError, ScriptWriter, Topic, chunks

__all__ = [
    "DraftScene",
    "Estimate",
    "LLMConfig",
    "LLMError",
    "LLMSpec",
    "ScriptDraft",
    "ScriptWriter",
    "Topic",
    "answer_schema",
    "chunks",
    "document_source",
    "draft_plan",
    "estimate_render",
    "parse_answer",
    "parse_llm_spec",
]
