"""The test client must behave like separate browsers: nothing of one request leaks into the next."""


def test_a_second_client_is_a_guest_while_the_first_is_signed_in(app, make_user, login, client):
    login(make_user())
    assert client.get("/account/").status_code == 200
    other = app.test_client()
    response = other.get("/account/")
    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]
