"""Pipedrive API v2 constants (see ../shared/api-formats/README.md, section b); the PIPEDRIVE_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from pipelines.config import SourceSettings

DATASET = "raw_pipedrive"
PAGE_SIZE = 500  # v2's documented maximum
TOKEN_VARIABLE = "PIPEDRIVE_API_TOKEN"

# Endpoint and the fields kept as declared columns (everything else is kept too, as dlt infers it).
ENDPOINTS = {
    "deals": ("/api/v2/deals", {
        "id": "bigint", "title": "text", "value": "double", "currency": "text", "status": "text",
        "person_id": "bigint", "org_id": "bigint", "pipeline_id": "bigint", "stage_id": "bigint",
        "add_time": "text", "update_time": "text", "close_time": "text", "won_time": "text", "lost_time": "text",
        "is_deleted": "bool",
    }),
    "persons": ("/api/v2/persons", {
        "id": "bigint", "name": "text", "org_id": "bigint", "add_time": "text", "update_time": "text",
        "emails": "json",
    }),
    "organizations": ("/api/v2/organizations", {
        "id": "bigint", "name": "text", "add_time": "text", "update_time": "text",
    }),
}
STAGES_ENDPOINT = "/api/v2/stages"


class PipedriveSettings(SourceSettings):
    model_config = SettingsConfigDict(env_prefix="PIPEDRIVE_")
    requires = (("api_token", "company_domain"), ("api_token", "base_url"))

    api_token: SecretStr | None = Field(None, description="API token (Personal preferences > API)")
    company_domain: str | None = Field(None, description="`<company>` of `https://<company>.pipedrive.com`")
    base_url: str | None = Field(None, description="API base URL, instead of the company domain (proxy)")
    lookback_minutes: float = Field(60.0, ge=0, description="how far before the last cursor an incremental sync "
                                                            "starts again")

    @property
    def url(self) -> str | None:
        return self.base_url or (f"https://{self.company_domain}.pipedrive.com" if self.company_domain else None)
