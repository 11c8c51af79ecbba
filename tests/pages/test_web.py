"""The signed-in web in a real browser (Debian's headless Chromium through Playwright), against two
real nodes on loopback: a person signs in, posts an image, follows someone on the other node from the
web and sees their reply arrive live; content warnings stay folded; followers-only posts stay hidden
from strangers. Every CSP violation is collected; axe-core checks the pages for serious problems;
screenshots go to tests.pages.chromium.SCREENSHOTS. Skipped, with the reason, without Chromium."""
from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from pages.routes import DEFAULT_IMAGE
from social import sign_in as sign_in_uc
from social import two_factor
from tests.pages.chromium import (axe_reason, browser, screenshot, serious_accessibility_problems,  # noqa: F401
                                  skip_reason, watched)
from tests.rig.nodes import eventually, start_cluster
from tests.rig.people import make_people as _make_people

if reason := skip_reason():
    pytest.skip(reason, allow_module_level=True)
PASSWORD = "correct horse battery"
OOB = "urn:ietf:wg:oauth:2.0:oob"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nodes = start_cluster(["acme.test", "globex.test"], tmp_path_factory.mktemp("web"))
    acme, globex = nodes["acme.test"], nodes["globex.test"]
    acme.create_user("alice", "--display-name", "Alice Liddell", password=PASSWORD)
    globex.create_user("bob", "--display-name", "Bob Builder", password=PASSWORD)
    acme.create_user("boss", "--admin", password=PASSWORD)
    yield acme, globex
    for node in nodes.values():
        node.stop()


class Clients:
    """Mastodon.py clients by node and name, each token made once for the module (a CLI run costs a
    second or two on a loaded machine)."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[str, str], str] = {}

    def __call__(self, node, name: str):  # noqa: ANN001, ANN204
        key = (node.domain, name)
        if key not in self.tokens:
            self.tokens[key] = node.token(name)
        return node.mastodon(self.tokens[key])

    def make_people(self, node, names: list[str]) -> None:  # noqa: ANN001
        """tests.rig.people.make_people (with the password), from a thread: Playwright's sync API
        keeps an event loop running in this one."""
        with ThreadPoolExecutor(1) as pool:
            made = pool.submit(_make_people, node, names, password=PASSWORD).result()
        self.tokens.update({(node.domain, name): token for name, token in made.items()})


@pytest.fixture(scope="module")
def api(cluster) -> Clients:  # noqa: ANN001
    return Clients()


def sign_in(page, node, login: str = "alice", password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(node.base + "/auth/sign_in")
    page.get_by_label("Username or e-mail").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_post_an_image_follow_across_nodes_and_see_a_reply_arrive_live(cluster, api, watched, tmp_path):
    acme, globex = cluster
    page = watched.page
    # Given Alice signed in on the web
    sign_in(page, acme)
    page.wait_for_url(re.compile(r"/home$"))
    assert page.locator("h1").inner_text() == "Home"
    # When she posts a picture with its description, without leaving the page
    page.evaluate("window.sameDocument = true")
    image = tmp_path / "square.png"
    image.write_bytes(DEFAULT_IMAGE)
    page.get_by_label("What is on your mind?").fill("Our new #office, in grey")
    page.locator("details.extras summary").click()
    page.get_by_label("Image", exact=True).set_input_files(str(image))
    page.get_by_label("Image description").fill("A grey square where the office will be")
    page.get_by_role("button", name="Post", exact=True).click()
    # Then it appears at the top of her home timeline with its description as the image's alt text,
    # without a reload, and is there when she opens home again
    posted = page.locator("#timeline article.status").first
    posted.get_by_text("Our new").wait_for()
    # (waited for: the image is drawn once its file has loaded)
    posted.get_by_role("img", name="A grey square where the office will be").wait_for(state="visible")
    assert page.evaluate("window.sameDocument") is True
    post_id = posted.get_attribute("data-id")
    page.goto(acme.base + "/home")
    assert page.locator(f"#status-{post_id} img[alt='A grey square where the office will be']").count() == 1
    # When she follows Bob on globex.test by his address
    page.get_by_label("Follow someone (name@server)").fill("bob@globex.test")
    page.get_by_role("button", name="Follow", exact=True).click()
    assert "@bob@globex.test" in page.locator("main").inner_text()
    bob = api(globex, "bob")
    alice_api = api(acme, "alice")
    bob_there = alice_api.account_search("bob@globex.test")[0]
    eventually(lambda: alice_api.account_relationships(bob_there["id"])[0]["following"], message="Bob accepts")
    # And, on her home page with the stream open, Bob replies to her post
    page.goto(acme.base + "/home")
    page.wait_for_function("document.body.dataset.streaming === 'on'")
    page.evaluate("window.sameDocument = true")
    page.wait_for_timeout(500)  # the subscription reaches the server
    original = bob.search_v2(f"http://acme.test/users/alice/statuses/{post_id}", resolve=True)["statuses"][0]
    bob.status_post("@alice@acme.test Looks roomy!", in_reply_to_id=original["id"])
    # Then the reply shows up on her page by itself
    page.locator("#timeline article.status", has_text="Looks roomy!").wait_for(timeout=30000)
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "home")
    # When she signs out, home sends her to sign in again
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(acme.base + "/")
    page.goto(acme.base + "/home")
    page.wait_for_url(re.compile(r"/auth/sign_in\?next="))
    assert watched.problems() == []


def test_a_content_warning_stays_folded_and_followers_only_posts_stay_hidden(cluster, api, watched):
    acme, _ = cluster
    alice = api(acme, "alice")
    folded = alice.status_post("The plot twist is that the butler did it", spoiler_text="Film spoilers")
    private = alice.status_post("Only my followers may read this", visibility="private")
    page = watched.page
    # When a stranger opens Alice's profile
    page.goto(acme.base + "/@alice")
    card = page.locator(f"#status-{folded['id']}")
    # Then the warned post shows its warning, and its text only once opened
    assert card.locator("summary").inner_text() == "Film spoilers"
    assert not card.get_by_text("the butler did it").is_visible()
    card.locator("summary").click()
    assert card.get_by_text("the butler did it").is_visible()
    # And the followers-only post is nowhere, not even at its own address
    assert "Only my followers" not in page.content()
    assert page.goto(f"{acme.base}/@alice/{private['id']}").status == 404
    # While Alice herself, signed in, sees it on her profile
    sign_in(page, acme)
    page.goto(acme.base + "/@alice")
    assert page.get_by_text("Only my followers may read this").is_visible()
    assert watched.problems() == []


def _qr_text(png: bytes) -> str:
    """What a QR code in a screenshot says, as a phone's camera would read it."""
    import io

    import zxingcpp
    from PIL import Image

    return "".join(r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png))))


def _status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def _register_app(node) -> dict:  # noqa: ANN001
    body = urllib.parse.urlencode({"client_name": "Two-factor app", "redirect_uris": OOB, "scopes": "read"}).encode()
    with urllib.request.urlopen(urllib.request.Request(node.base + "/api/v1/apps", data=body), timeout=30) as resp:
        return json.loads(resp.read())


def test_two_factor_sign_in_blocks_a_password_alone_on_the_web_and_the_oauth_form(cluster, watched):
    acme, _ = cluster
    acme.create_user("carol", password=PASSWORD)
    page = watched.page
    # Given Carol turns on two-factor sign-in from her settings, with a code from her app
    sign_in(page, acme, "carol")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Two-factor sign-in").click()
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    secret = page.locator("#secret").inner_text()
    # (the key is also a QR code of its otpauth URI, drawn by the server: no script, no image request)
    qr = page.get_by_role("img", name="QR code of the key, for your authenticator app")
    assert qr.bounding_box()["width"] >= 150
    assert _qr_text(qr.screenshot()) == page.locator("a[href^='otpauth:']").get_attribute("href")
    screenshot(page, "settings-two-factor-setup")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    page.get_by_label("The code the app shows now").fill(two_factor.code_at(secret, two_factor.now_step()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    screenshot(page, "settings-recovery-codes")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(acme.base + "/")
    # When she signs in on the web with her password alone
    sign_in(page, acme, "carol")
    # Then she is asked for the code, and is not signed in
    assert page.get_by_role("alert").inner_text() == sign_in_uc.CODE_NEEDED
    page.goto(acme.base + "/home")
    page.wait_for_url(re.compile(r"/auth/sign_in\?next="))
    # And a wrong code does not let her in either
    sign_in(page, acme, "carol")
    page.get_by_label("Password").fill(PASSWORD)
    wrong = "000000" if two_factor.code_at(secret, two_factor.now_step()) != "000000" else "111111"
    page.get_by_label("Two-factor code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == sign_in_uc.CODE_WRONG
    # While a recovery code does, once
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/home$"))
    # When an app sends her to the OAuth form and she gives only her password
    app = _register_app(acme)
    query = urllib.parse.urlencode({"response_type": "code", "client_id": app["client_id"], "redirect_uri": OOB,
                                    "scope": "read"})
    page.goto(f"{acme.base}/oauth/authorize?{query}")
    page.get_by_label("E-mail or username").fill("carol")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Authorise").click()
    # Then the form asks for the code and gives the app nothing
    assert page.get_by_role("alert").inner_text() == sign_in_uc.CODE_NEEDED
    assert page.locator("code").count() == 0
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(codes[0])  # spent already
    page.get_by_role("button", name="Authorise").click()
    assert page.get_by_role("alert").inner_text() == sign_in_uc.CODE_WRONG
    # And with a code, the app gets its authorisation code
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Two-factor code").fill(codes[1])
    page.get_by_role("button", name="Authorise").click()
    assert page.locator("h1").inner_text() == "Authorisation code" and page.locator("code").inner_text()
    # And the password grant, which has no place for a code, is refused
    grant = urllib.parse.urlencode({"grant_type": "password", "client_id": app["client_id"],
                                    "client_secret": app["client_secret"], "username": "carol",
                                    "password": PASSWORD, "scope": "read"}).encode()
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(acme.base + "/oauth/token", data=grant), timeout=30)
    assert refused.value.code in (400, 401)
    assert watched.problems() == []


def test_the_admin_dashboard_draws_its_charts(cluster, watched):
    acme, _ = cluster
    page = watched.page
    # When an admin signs in
    page.goto(acme.base + "/admin/sign_in")
    page.get_by_label("Username or e-mail").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # Then the dashboard shows its four charts, drawn by the server
    page.wait_for_url(re.compile(r"/admin/dashboard$"))
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 4
    titles = [charts.nth(i).locator("title").first.text_content() for i in range(4)]
    assert titles == ["New posts and active people per day", "Deliveries per day by outcome",
                      "The ten domains with most failed deliveries (two weeks)", "Queue depths now (waiting rows)"]
    # with today's real figures: Alice's posts, and acme's deliveries to globex
    today = page.locator("#activity-desc").text_content().split("; ")[-1]
    assert int(re.search(r"posts (\d+)", today).group(1)) >= 3, today
    # (a delivery is counted by the delivery worker's next claim: on a busy machine, a moment later)
    deadline = time.monotonic() + 30
    while True:
        delivered = page.locator("#deliveries-desc").text_content().split("; ")[-1]
        if int(re.search(r"delivered (\d+)", delivered).group(1)) >= 1 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(1000)
        page.reload()
    assert int(re.search(r"delivered (\d+)", delivered).group(1)) >= 1, delivered
    assert charts.first.bounding_box()["height"] > 100
    # each under a visible heading, and active people counted from who signed in or acted today
    assert page.get_by_role("heading", name="Queue depths now (waiting rows)").is_visible()
    assert int(re.search(r"active people (\d+)", today).group(1)) >= 2, today
    screenshot(page, "admin-dashboard")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    assert watched.problems() == []


MAIN_PAGES = ["/home", "/local", "/notifications", "/search?q=bob", "/@alice", "/tags/office",
              "/settings/profile", "/settings/two_factor", "/settings/applications", "/follow_requests", "/lists",
              "/directory", "/experts?q=office"]


def test_the_main_pages_have_no_serious_accessibility_problems(cluster, api, watched):
    if reason := axe_reason():
        pytest.skip(reason)
    acme, _ = cluster
    post = api(acme, "alice").status_post("A post whose thread page is checked too")["id"]
    page = watched.page
    found = {}
    # Signed out: the front page, the sign-in form and a profile
    for path, name in (("/", "front"), ("/auth/sign_in", "sign-in"), ("/@alice", "profile-public")):
        page.goto(acme.base + path)
        found[path + " (signed out)"] = serious_accessibility_problems(page)
        screenshot(page, name)
    # Signed in: each main page, and a post's thread
    sign_in(page, acme)
    page.wait_for_url(re.compile(r"/home$"))
    for path in MAIN_PAGES + [f"/statuses/{post}"]:
        page.goto(acme.base + path)
        found[path] = serious_accessibility_problems(page)
        screenshot(page, path.strip("/").split("?")[0].replace("/", "-").replace("@", "") or "home")
    assert {path: problems for path, problems in found.items() if problems} == {}
    assert watched.problems() == []


def _web_session(node, login: str):  # noqa: ANN001, ANN202
    """A requests session signed in on `node`'s web; its CSRF token."""
    import requests

    web = requests.Session()
    home = web.post(node.base + "/auth/sign_in", data={"login": login, "password": PASSWORD}, timeout=30)
    assert home.url.endswith("/home"), home.text[:300]
    return web, re.search(r"name=csrf value='([^']+)'", home.text).group(1)


def test_moving_an_account_to_another_node_moves_its_followers(cluster):
    acme, globex = cluster
    acme.create_user("mover", password=PASSWORD)
    globex.create_user("arrival", password=PASSWORD)
    acme.create_user("fan", password=PASSWORD)
    globex.create_user("faraway", password=PASSWORD)
    # Given Mover on acme has a follower there and one on globex
    fan = acme.mastodon(acme.token("fan"))
    fan.account_follow(fan.account_lookup("mover")["id"])
    faraway = globex.mastodon(globex.token("faraway"))
    mover_there = faraway.search_v2("mover@acme.test", resolve=True)["accounts"][0]
    faraway.account_follow(mover_there["id"])
    eventually(lambda: faraway.account_relationships(mover_there["id"])[0]["following"], message="acme accepts")
    # When Mover tries to move to Arrival on globex before Arrival names Mover as an alias
    web, csrf = _web_session(acme, "mover")
    early = web.post(acme.base + "/settings/migration", data={"csrf": csrf, "step": "move", "password": PASSWORD,
                                                             "target": "arrival@globex.test"}, timeout=30)
    # Then the move is refused
    assert early.status_code == 422 and "does not list the origin in alsoKnownAs" in early.text
    # When Arrival names Mover as an alias, and Mover moves (with the password)
    there, there_csrf = _web_session(globex, "arrival")
    saved = there.post(globex.base + "/settings/migration", data={"csrf": there_csrf, "step": "aliases",
                                                                 "aliases": "mover@acme.test"}, timeout=30)
    assert saved.status_code == 200 and "http://acme.test/users/mover" in saved.text
    moved = web.post(acme.base + "/settings/migration", data={"csrf": csrf, "step": "move", "password": PASSWORD,
                                                             "target": "arrival@globex.test"}, timeout=30)
    assert moved.status_code == 200 and "Your followers are moving" in moved.text
    # Then both followers follow Arrival now: the one here at once, the one on globex by the Move
    arrival_here = fan.search_v2("arrival@globex.test", resolve=True)["accounts"][0]
    eventually(lambda: fan.account_relationships(arrival_here["id"])[0]["following"]
               or fan.account_relationships(arrival_here["id"])[0]["requested"], message="fan moves")
    arrival_local = faraway.account_lookup("arrival")
    eventually(lambda: faraway.account_relationships(arrival_local["id"])[0]["following"], message="faraway moves")
    # And Mover's actor says where it went
    actor = urllib.request.Request(acme.base + "/users/mover", headers={"Accept": "application/activity+json"})
    with urllib.request.urlopen(actor, timeout=30) as resp:
        assert json.loads(resp.read())["movedTo"] == "http://globex.test/users/arrival"


def test_a_profile_edited_on_the_web_shows_its_new_avatar_at_once_and_reaches_the_followers_server(
        cluster, api, watched, tmp_path):
    acme, globex = cluster
    api.make_people(acme, ["dora"])
    # Given Bob on globex follows Dora on acme
    bob = api(globex, "bob")
    dora_there = bob.search_v2("dora@acme.test", resolve=True)["accounts"][0]
    bob.account_follow(dora_there["id"])
    eventually(lambda: bob.account_relationships(dora_there["id"])[0]["following"], message="acme accepts")
    page = watched.page
    # When Dora opens her settings and picks an avatar
    sign_in(page, acme, "dora")
    page.get_by_role("link", name="Settings").click()
    assert page.locator("h1").inner_text() == "Profile"
    image = tmp_path / "dora.png"
    image.write_bytes(DEFAULT_IMAGE)
    page.get_by_label("Avatar (PNG, JPEG, GIF or WebP; cropped to a square)").set_input_files(str(image))
    # Then the preview shows it before anything is saved
    page.wait_for_function("document.getElementById('avatar-preview').dataset.previewing === 'on'")
    assert page.get_by_role("img", name="Your avatar").get_attribute("src").startswith("data:image/png;base64,")
    # When she fills in her name, bio and a field, lets search find her posts, and saves
    page.get_by_label("Display name").fill("Dora the Explorer")
    page.get_by_label("Bio").fill("Maps, #cartography and long walks")
    page.get_by_label("Label 1").fill("Maps")
    page.get_by_label("Content 1").fill("https://maps.example")
    page.get_by_label("Let my public posts be found by search").check()
    page.get_by_role("button", name="Save profile").click()
    # Then the page says so and keeps what she saved, her avatar now a file of this node
    assert page.get_by_role("status").inner_text() == "Your profile is saved."
    assert page.get_by_label("Display name").input_value() == "Dora the Explorer"
    assert page.get_by_label("Let my public posts be found by search").is_checked()
    assert "/media/" in page.get_by_role("img", name="Your avatar").get_attribute("src")
    screenshot(page, "settings-profile")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    # And her public profile shows it
    page.goto(acme.base + "/@dora")
    assert page.locator("h1").inner_text() == "Dora the Explorer"
    assert page.locator(".profile dl.fields dt").inner_text() == "Maps"
    page.get_by_role("link", name="#cartography").wait_for()
    assert page.get_by_role("link", name="Edit profile").get_attribute("href") == "/settings/profile"
    # And Bob's server hears of it through the Update the API's change would send
    eventually(lambda: bob.account(dora_there["id"])["display_name"] == "Dora the Explorer",
               message="globex applies the Update")
    assert "cartography" in bob.account(dora_there["id"])["note"]
    assert watched.problems() == []


def test_a_visitor_finds_people_in_the_directory_and_who_talks_about_a_topic(cluster, api, watched):
    acme, _ = cluster
    if (acme.domain, "dora") not in api.tokens:  # (run alone: the test before made her)
        api.make_people(acme, ["dora"])
    api.make_people(acme, ["hidden"])
    # Given Dora (findable, her posts indexable) and Hidden (not discoverable) both post about maps
    dora = api(acme, "dora")
    dora.account_update_credentials(indexable=True)  # (as she chose on the web in the test before)
    dora.status_post("Old #cartography tricks: contour lines by hand")
    hidden = api(acme, "hidden")
    hidden.account_update_credentials(discoverable=False)
    hidden.status_post("My private #cartography diary")
    page = watched.page
    # When a stranger follows the front page's link and asks who talks about cartography
    page.goto(acme.base + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Who talks about…").click()
    page.get_by_label("A topic (words or a hashtag)").fill("cartography")
    page.get_by_role("button", name="Find people").click()
    # Then Dora is there, with the post that earned it and her hashtags; Hidden is not
    results = page.locator("ol.experts > li")
    assert results.count() == 1
    assert "@dora@acme.test" in results.first.inner_text() and "Score" in results.first.inner_text()
    assert results.first.locator("article.status", has_text="contour lines by hand").is_visible()
    assert results.first.get_by_role("link", name="#cartography").count() >= 1
    assert "diary" not in page.content() and "@hidden@" not in page.content()
    screenshot(page, "experts")
    # When she opens the directory, newest first
    page.get_by_role("link", name="Directory").first.click()
    page.get_by_label("Order").select_option("new")
    page.get_by_role("button", name="Show").click()
    # Then she sees people here and Bob from globex, whom this node knows, but not Hidden
    people = page.locator("article.person")
    names = people.all_inner_texts()
    assert any("@dora@acme.test" in n for n in names) and any("@bob@globex.test" in n for n in names)
    assert not any("@hidden@" in n for n in names)
    screenshot(page, "directory")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    assert watched.problems() == []


def test_a_list_is_made_filled_shared_and_read_in_the_browser(cluster, api, watched):
    acme, globex = cluster
    alice = api(acme, "alice")
    bob_there = alice.search_v2("bob@globex.test", resolve=True)["accounts"][0]
    alice.account_follow(bob_there["id"])  # (as the first test did from the web)
    eventually(lambda: alice.account_relationships(bob_there["id"])[0]["following"], message="Bob accepts")
    # (Bob posts now: it reaches acme while Alice makes her list)
    api(globex, "bob").status_post("Framing the east wall today")
    page = watched.page
    # Given Alice, who follows Bob on globex, makes a list
    sign_in(page, acme)
    page.get_by_role("link", name="Lists").click()
    page.get_by_label("New list").fill("Builders")
    page.get_by_role("button", name="Make the list").click()
    assert page.locator("h1").inner_text() == "Builders"
    # When she adds Bob, keeps his posts off home, shows replies to anyone she follows and shares it
    page.get_by_label("Add someone you follow (name@server)").fill("bob@globex.test")
    page.get_by_role("button", name="Add", exact=True).click()
    assert "@bob@globex.test" in page.locator("ul.people").inner_text()
    page.get_by_label("Name", exact=True).fill("Builders and makers")
    page.get_by_label("Replies shown").select_option("followed")
    page.get_by_label("Show its people only here, not on home").check()
    page.get_by_label("Share it", exact=False).check()
    page.get_by_role("button", name="Save", exact=True).click()
    # Then the list keeps each choice, and its shared page lists Bob for anyone
    assert page.locator("h1").inner_text() == "Builders and makers"
    assert page.get_by_label("Replies shown").input_value() == "followed"
    assert page.get_by_label("Show its people only here, not on home").is_checked()
    list_url = page.url
    page.get_by_role("link", name="The list's shared page").click()
    assert "@bob@globex.test" in page.locator("main").inner_text()
    # And its timeline shows Bob's posts

    def shown() -> bool:
        page.goto(list_url)
        return page.locator("#timeline article.status", has_text="Framing the east wall").count() == 1
    eventually(shown, message="Bob's post in the list")
    screenshot(page, "list")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    # And removing Bob and deleting the list leave no list behind
    page.locator("ul.people").get_by_role("button", name="Remove").click()
    assert "Nobody yet." in page.locator("ul.people").inner_text()
    page.get_by_role("button", name="Delete this list").click()
    assert "Builders" not in page.locator("ul.lists").inner_text()
    assert watched.problems() == []


def test_an_admin_acts_on_a_report_and_makes_and_revokes_an_invite_in_the_browser(cluster, api, watched):
    acme, _ = cluster
    api.make_people(acme, ["troll"])
    # Given Alice reports Troll's post
    post = api(acme, "troll").status_post("Everyone here is wrong about #office plans")
    alice = api(acme, "alice")
    alice.report(post["account"]["id"], status_ids=[post["id"]], comment="rude to everyone")
    page = watched.page
    # When the admin opens the report from the reports page
    page.goto(acme.base + "/admin/sign_in")
    page.get_by_label("Username or e-mail").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/admin/dashboard$"))
    page.get_by_role("link", name="Reports").click()
    page.get_by_role("row", name=re.compile("rude to everyone")).get_by_role("link").first.click()
    # Then she sees the comment and the reported post itself
    assert "rude to everyone" in page.locator("dl.fields").inner_text()
    assert page.locator("article.status", has_text="Everyone here is wrong").is_visible()
    screenshot(page, "admin-report")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    # When she silences Troll from the report, then resolves it
    page.get_by_role("button", name="Silence").click()
    page.wait_for_url(re.compile(r"/admin/reports/\d+$"))
    assert "The account is silenced." in page.locator("main").inner_text()
    page.get_by_role("button", name="Resolve").click()
    # Then it is no longer among the open reports, and is among the resolved ones
    assert page.get_by_role("row", name=re.compile("rude to everyone")).count() == 0
    page.get_by_role("link", name="Resolved reports").click()
    assert page.get_by_role("row", name=re.compile("rude to everyone")).count() == 1
    # When she makes an invite for two people
    page.get_by_role("link", name="Invites").click()
    page.get_by_label("Uses (empty: no limit)").fill("2")
    page.get_by_role("button", name="Make an invite").click()
    link = page.locator("table a[href^='/invite/']").first
    href = link.get_attribute("href")
    screenshot(page, "admin-invites")
    assert serious_accessibility_problems(page) == [] if axe_reason() is None else True
    # Then the link opens the sign-up page; once revoked, it does not
    assert _status_of(acme.base + href) == 200
    page.get_by_role("row", name=re.compile(re.escape(href.rsplit("/", 1)[1]))).get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    assert _status_of(acme.base + href) == 404
    assert watched.problems() == []


def test_a_post_from_another_node_is_quoted_from_the_web_and_a_followers_only_one_is_not(cluster, api, watched):
    acme, globex = cluster
    bob = api(globex, "bob")
    alice = api(acme, "alice")
    said = bob.status_post("Write the runbook before the incident, not during it")
    there = alice.search_v2(said["uri"], resolve=True)["statuses"][0]
    page = watched.page
    sign_in(page, acme)
    page.wait_for_url(re.compile(r"/home$"))
    # When Alice opens Bob's post on her node and chooses Quote
    page.goto(f"{acme.base}/statuses/{there['id']}")
    page.locator(".focus").get_by_role("link", name="Quote").click()
    form = page.get_by_role("form", name="Quote")
    # Then the quote form has no image or poll (a quote carries neither)
    assert form.locator("details.extras").count() == 0
    form.get_by_label("What you say about it").fill("This, a hundred times")
    form.get_by_role("button", name="Quote").click()
    # She lands on her new post, which shows Bob's post inside it once his node accepted the quote
    page.wait_for_url(re.compile(r"/statuses/\d+$"))
    quote_id = page.url.rsplit("/", 1)[1]
    eventually(lambda: (alice.status(quote_id)["quote"] or {}).get("state") == "accepted",
               message="bob's node accepts the quote")
    page.reload()
    focus = page.locator(".focus article.status")
    assert "This, a hundred times" in focus.inner_text()
    assert "Write the runbook before the incident" in focus.locator("blockquote.quoted").inner_text()
    # A followers-only post offers no Quote, and a form made up for it is refused
    bob_here = alice.search_v2("bob@globex.test", resolve=True)["accounts"][0]
    alice.account_follow(bob_here["id"])
    eventually(lambda: alice.account_relationships(bob_here["id"])[0]["following"], message="bob accepts")
    bob.status_post("Followers only: the runbook draft is in the usual place", visibility="private")
    hidden = eventually(lambda: next((s for s in alice.account_statuses(bob_here["id"])
                                      if s["visibility"] == "private"), None), message="the post reaches alice")
    page.goto(f"{acme.base}/statuses/{hidden['id']}")
    assert page.locator(".focus").get_by_role("link", name="Quote").count() == 0
    assert page.get_by_role("form", name="Quote").count() == 0
    refused = page.evaluate("""async (id) => {
        const form = new FormData(document.querySelector("form.compose"));
        form.delete("in_reply_to_id"); form.set("quoted_status_id", id); form.set("status", "made up");
        const answer = await fetch("/statuses", {method: "POST", body: form, headers: {"X-Backchannel-Fetch": "1"}});
        return answer.status; }""", str(hidden["id"]))
    assert refused == 422
    assert watched.problems() == []
