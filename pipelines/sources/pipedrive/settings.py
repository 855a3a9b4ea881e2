"""Pipedrive API v2 constants (see ../shared/api-formats/README.md, section b)."""

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
