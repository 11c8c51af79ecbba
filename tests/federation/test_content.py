"""Plain-text rendering, mention/hashtag parsing, HTML → text, and sanitising."""

from federation.content import (
    MentionRef,
    find_hashtags,
    find_mentions,
    html_to_text,
    render_plain,
)
from federation.sanitize import sanitize_html, sanitize_text

REL = 'rel="nofollow noopener noreferrer"'


def known(*usernames):
    def mention_url(ref: MentionRef):
        if ref.username in usernames:
            host = ref.domain or "local.test"
            return f"https://{host}/@{ref.username}"
        return None

    return mention_url


def tag_url(name: str) -> str:
    return f"https://local.test/tags/{name}"


def render(text, *usernames):
    return render_plain(text, mention_url=known(*usernames), tag_url=tag_url)


# --- find_mentions -----------------------------------------------------------


def test_remote_and_local_mentions_are_found_in_order():
    # Given a post mentioning a remote and a local account
    text = "hi @guru@globex.test and @bob"
    # When mentions are parsed
    found = find_mentions(text)
    # Then both come back, in order, with their domains
    assert found == [
        MentionRef("guru", "globex.test", "@guru@globex.test"),
        MentionRef("bob", None, "@bob"),
    ]


def test_trailing_punctuation_is_not_part_of_a_mention():
    found = find_mentions("thanks @guru@globex.test, @bob. and @carol!")
    assert [(m.username, m.domain) for m in found] == [
        ("guru", "globex.test"),
        ("bob", None),
        ("carol", None),
    ]


def test_email_addresses_are_not_mentions():
    assert find_mentions("mail a@b.c or first.last@example.test") == []


def test_profile_urls_are_not_mentions():
    assert find_mentions("see https://mastodon.test/@gargron and https://x.test/?u=@bob") == []


def test_mentions_are_unique_case_insensitively():
    found = find_mentions("@Bob @bob @bob@Globex.test @BOB@globex.test")
    assert [(m.username, m.domain) for m in found] == [("Bob", None), ("bob", "globex.test")]


def test_usernames_may_contain_dots_and_dashes_inside_and_domains_a_port():
    found = find_mentions("@first.last-name@node.test:8443 and @x_y.")
    assert [(m.username, m.domain) for m in found] == [
        ("first.last-name", "node.test:8443"),
        ("x_y", None),
    ]


def test_mention_inside_parentheses():
    assert [m.text for m in find_mentions("(cc @guru@globex.test)")] == ["@guru@globex.test"]


# --- find_hashtags -----------------------------------------------------------


def test_hashtags_are_lower_cased_unique_and_in_order():
    assert find_hashtags("#Python and #python, #FediDev!") == ["python", "fedidev"]


def test_url_fragments_are_not_hashtags():
    text = "read https://example.test/page#section and example.test/#frag"
    assert find_hashtags(text) == []


def test_all_digit_tags_entities_and_mid_word_hashes_are_not_hashtags():
    assert find_hashtags("#123 &#39; foo#bar C#") == []


def test_unicode_hashtags():
    assert find_hashtags("#日本語 #café_2 #हिन्दी #1st") == ["日本語", "café_2", "हिन्दी", "1st"]


# --- render_plain ------------------------------------------------------------


def test_everything_is_escaped():
    # Given text with markup in it
    rendered = render('<script>alert("x")</script> & <b>bold</b>')
    # Then no tag from the text survives
    assert "<script>" not in rendered.html
    assert "<b>" not in rendered.html
    assert rendered.html == (
        "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>"
    )


def test_paragraphs_and_line_breaks():
    rendered = render("one\ntwo\n\nthree\r\n\r\n\r\nfour\n")
    assert rendered.html == "<p>one<br>two</p><p>three</p><p>four</p>"


def test_links_get_rel_and_target_and_lose_trailing_punctuation():
    rendered = render("see https://example.test/a?b=1&c=2.")
    assert f'<a href="https://example.test/a?b=1&amp;c=2" target="_blank" {REL}>' in rendered.html
    assert rendered.html.endswith("</a>.</p>")
    assert '<span class="invisible">https://</span><span>example.test/a?b=1&amp;c=2</span>' in rendered.html


def test_balanced_parentheses_stay_in_links():
    rendered = render("(https://en.wiki.test/Foo_(bar))")
    assert 'href="https://en.wiki.test/Foo_(bar)"' in rendered.html
    assert rendered.html.endswith("</a>)</p>")


def test_long_links_are_shown_truncated():
    url = "https://example.test/" + "x" * 40
    rendered = render(url)
    assert '<span class="ellipsis">' in rendered.html
    assert html_to_text(rendered.html) == url


def test_resolved_mention_becomes_an_h_card_and_unresolved_stays_text():
    # Given guru is known and nobody is not
    rendered = render("hi @guru@globex.test and @nobody@globex.test", "guru")
    # Then guru is linked, nobody is plain text
    assert (
        '<span class="h-card" translate="no"><a href="https://globex.test/@guru" '
        'class="u-url mention">@<span>guru</span></a></span>'
    ) in rendered.html
    assert "and @nobody@globex.test</p>" in rendered.html
    assert [m.username for m in rendered.mentions] == ["guru"]


def test_hashtags_link_to_lower_case_tag_page_but_keep_their_case():
    rendered = render("I like #FediDev")
    assert rendered.html == (
        '<p>I like <a href="https://local.test/tags/fedidev" class="mention hashtag" '
        'rel="tag">#<span>FediDev</span></a></p>'
    )
    assert rendered.hashtags == ["fedidev"]


def test_hashes_and_ats_inside_links_are_left_alone():
    rendered = render("https://example.test/@guru#top", "guru")
    assert "h-card" not in rendered.html
    assert "hashtag" not in rendered.html
    assert rendered.mentions == [] and rendered.hashtags == []


def test_mention_url_is_escaped():
    rendered = render_plain(
        "@bob", mention_url=lambda ref: 'https://x.test/"><script>', tag_url=tag_url
    )
    assert "<script>" not in rendered.html
    assert 'href="https://x.test/&quot;&gt;&lt;script&gt;"' in rendered.html


# --- html_to_text ------------------------------------------------------------


def test_html_to_text_keeps_line_structure_and_decodes_entities():
    html = "<p>Hello <b>world</b> &amp; &lt;you&gt;</p><p>one<br>two<br />three</p>"
    assert html_to_text(html) == "Hello world & <you>\n\none\ntwo\nthree"


def test_html_to_text_drops_scripts():
    assert html_to_text("<p>a</p><script>alert(1)</script><style>p{}</style>") == "a"


def test_html_to_text_round_trips_rendered_posts():
    rendered = render("hi @guru@globex.test\n\n#Tag https://example.test/x", "guru")
    assert html_to_text(rendered.html) == "hi @guru\n\n#Tag https://example.test/x"


# --- sanitize_html -----------------------------------------------------------


def test_sanitize_strips_scripts_styles_and_handlers():
    # Given hostile remote HTML
    html = (
        '<p onclick="steal()" style="color:red">hi</p>'
        "<script>alert(1)</script><style>p{}</style>"
        '<img src="x" onerror="alert(1)">'
    )
    # When it is sanitised
    clean = sanitize_html(html)
    # Then only the harmless paragraph is left
    assert clean == "<p>hi</p>"


def test_sanitize_drops_dangerous_and_relative_hrefs():
    clean = sanitize_html(
        '<a href="javascript:alert(1)">a</a><a href="data:text/html,x">b</a>'
        '<a href="/relative">c</a><a href="mailto:x@y.test">d</a>'
    )
    assert "javascript" not in clean
    assert "data:" not in clean
    assert "/relative" not in clean
    assert 'href="mailto:x@y.test"' in clean


def test_sanitize_keeps_mention_microformats_and_forces_link_attributes():
    html = (
        '<p><span class="h-card"><a href="https://globex.test/@guru" class="u-url mention" '
        'rel="me" target="_self">@<span>guru</span></a></span></p>'
    )
    clean = sanitize_html(html)
    assert clean == (
        '<p><span class="h-card"><a href="https://globex.test/@guru" class="u-url mention" '
        f'target="_blank" {REL}>@<span>guru</span></a></span></p>'
    )


def test_sanitize_filters_classes():
    clean = sanitize_html('<span class="invisible evil p-name big-red">x</span>')
    assert clean == '<span class="invisible p-name">x</span>'


def test_sanitize_keeps_lists_and_formatting():
    html = '<ol start="3"><li value="4"><em>a</em> <code>b</code></li></ol><blockquote>q</blockquote>'
    assert sanitize_html(html) == html


def test_sanitize_none_and_empty():
    assert sanitize_html(None) == ""
    assert sanitize_html("") == ""


# --- sanitize_text -----------------------------------------------------------


def test_sanitize_text_strips_tags_and_control_characters():
    assert sanitize_text("<b>Alice</b>\x00\x07\n\t &amp; co", 100) == "Alice & co"


def test_sanitize_text_drops_script_content_and_keeps_less_than():
    assert sanitize_text("<script>alert(1)</script>Alice <3", 100) == "Alice <3"


def test_sanitize_text_truncates_with_ellipsis():
    # Given a display name longer than the limit
    # When it is cut to 10 characters
    text = sanitize_text("abcdefghijklmnop", 10)
    # Then it is 10 characters long and ends with an ellipsis
    assert text == "abcdefghi…"
    assert len(text) == 10


def test_sanitize_text_none_and_short():
    assert sanitize_text(None, 10) == ""
    assert sanitize_text("short", 10) == "short"


def test_sanitize_text_removes_bidi_overrides():
    assert sanitize_text("\u202eevil\u202c name", 30) == "evil name"
