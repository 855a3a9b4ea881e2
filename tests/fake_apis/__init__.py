"""Local HTTP servers that speak each ad platform's documented API (OAuth, paging, rate limits, restated days,
error bodies): the ad platform tests sync against them, never against the internet."""
