"""processes.queries.process_to_read: the proposal list reads its process from a copy shared by the worker's
requests until public content changes; what it shows and who may see it follow every change at once."""
from tests.conftest import sql_statements


def _process_selects(client, path):
    with sql_statements() as statements:
        response = client.get(path)
    return response, sum("FROM processes" in statement for statement in statements)


def test_the_list_reads_its_process_once_until_it_changes(app, db, client, make_process, make_user):
    process = make_process(title="駅前広場の使い方")
    path = f"/processes/{process.slug}/proposals?sort=recent"
    first, reads = _process_selects(client, path)
    assert first.status_code == 200 and "駅前広場の使い方" in first.get_data(as_text=True) and reads == 1
    second, reads = _process_selects(client, path + "&page=2")
    assert second.status_code == 200 and reads == 0  # the shared copy, phases and all

    process.title = "駅前広場の新しい使い方"
    db.session.commit()  # public content changed: the next request reads the process again
    third, reads = _process_selects(client, path)
    assert reads == 1 and "駅前広場の新しい使い方" in third.get_data(as_text=True)

    process.published_at = None
    db.session.commit()
    assert client.get(path).status_code == 404  # no longer shown to guests, at once
    assert client.get("/processes/no-such-process/proposals").status_code == 404
