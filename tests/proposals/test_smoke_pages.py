def test_pages_render(client, login, make_user, make_process, make_proposal):
    process = make_process()
    proposal = make_proposal(process)
    assert client.get(f"/processes/{process.slug}/proposals").status_code == 200
    assert client.get(f"/proposals/{proposal.id}").status_code == 200
    login(make_user())
    assert client.get(f"/processes/{process.slug}/proposals/new").status_code == 200
