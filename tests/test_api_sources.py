"""What every CRM API source does, each against its local server (tests/api_sources.py): every record once across
pages, a 429 with Retry-After and a 500; only what changed since the cursor on a second sync, deletions marked; a
crash mid-sync then a rerun, complete and without duplicates; a refused token in one line naming the variable; the
token never in a log or a file. Each source's own behaviours are tested in its own file."""

import logging
from datetime import timedelta

import pytest

from tests.api_sources import API_SOURCES, T0
from tests.conftest import api_rows, source_error


@pytest.fixture(params=API_SOURCES, ids=lambda source: source.name)
def api(request):
    return request.param


@pytest.fixture
def fake(api):
    server = api.server()
    yield server
    server.stop()


def test_every_record_loaded_once_across_pages_a_429_and_a_500(tmp_path, api, fake):
    api.add_records(fake, api.paged_records)
    fake.fail(429, times=1, path_contains=api.failing_paths[429], retry_after="1")
    fake.fail(500, times=1, path_contains=api.failing_paths[500])
    api.sync(tmp_path, fake.start())
    assert api_rows(tmp_path, f"SELECT count(*), count(DISTINCT id) FROM {api.table}") == [
        (api.paged_records, api.paged_records)]
    api.assert_paged(fake)


def test_second_sync_asks_only_for_changes_since_the_cursor_and_marks_deletions(tmp_path, api, fake):
    api.add_records(fake, 20)
    base_url = fake.start()
    api.sync(tmp_path, base_url, lookback_minutes=10)
    first_requests = len(fake.requests)
    api.change_and_delete(fake)
    api.sync(tmp_path, base_url, lookback_minutes=10)
    # The last record changed at T0 + 20 min; a lookback of 10 minutes asks from T0 + 10 min.
    api.assert_asked_from(fake.requests[first_requests:], T0 + timedelta(minutes=10))
    assert api_rows(tmp_path, f"SELECT count(*), count(DISTINCT id) FROM {api.table}") == [(20, 20)]
    api.assert_changed_and_deleted(tmp_path)


def test_crash_mid_sync_then_rerun_is_complete_and_duplicate_free(tmp_path, api, fake):
    api.add_records(fake, api.paged_records)
    base_url = fake.start()
    fake.down_after = api.down_after  # the server dies after a few answers
    with pytest.raises(Exception) as failure:
        api.sync(tmp_path, base_url, max_attempts=2)
    assert "HTTP 503" in str(failure.value) and api.token not in str(failure.value)
    fake.down_after = None
    api.sync(tmp_path, base_url)
    assert api_rows(tmp_path, f"SELECT count(*), count(DISTINCT id) FROM {api.table}") == [
        (api.paged_records, api.paged_records)]


def test_refused_token_is_one_line_naming_the_variable(tmp_path, api, fake):
    with pytest.raises(Exception) as failure:
        api.sync(tmp_path, fake.start(), **api.wrong_token)
    assert source_error(failure).startswith(api.refused)
    assert next(iter(api.wrong_token.values())) not in str(failure.value)


def test_token_never_reaches_logs_or_the_database(tmp_path, api, fake, caplog):
    api.add_records(fake, 5)
    fake.fail(429, times=1, path_contains=api.failing_paths[429], retry_after="1")
    with caplog.at_level(logging.DEBUG):
        api.sync(tmp_path, fake.start())
    assert api.token not in caplog.text
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert api.token.encode() not in path.read_bytes(), path
