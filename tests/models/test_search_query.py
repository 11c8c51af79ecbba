"""What a search box's text becomes (models.search_query), and the words the index holds
(models.search_index): pure functions, no database."""
import datetime as dt

import pytest

from models.search_index import html_text, status_document, words
from models.search_query import QueryError, parse


def day(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc).timestamp()


def test_words_phrases_tags_and_exclusions():
    q = parse('Café DevOps "Incident  Review" #SRE -kubernetes -"big bang" -#hype e-mail')
    assert q.words == ["cafe", "devops"]
    assert q.phrases == [["incident", "review"], ["e", "mail"]]
    assert q.tags == ["sre"] and q.not_tags == ["hype"]
    assert q.not_words == ["kubernetes"] and q.not_phrases == [["big", "bang"]]
    assert q.topic_words() == ["cafe", "devops", "incident", "review", "e", "mail", "sre"]


def test_operators_and_their_negations():
    q = parse("from:me from:@Bob@Globex.test -from:eve has:media -has:poll is:reply -is:sensitive "
              "language:DE -language:fr in:library")
    assert q.authors == ["me", "bob@globex.test"] and q.not_authors == ["eve"]
    assert (q.has, q.not_has, q.is_, q.not_is) == (["media"], ["poll"], ["reply"], ["sensitive"])
    assert (q.languages, q.not_languages, q.scope) == (["de"], ["fr"], "library")
    assert not q.has_text and not q.empty


def test_dates_are_utc_days():
    assert parse("before:2026-03-01").before == day("2026-03-01")
    assert parse("after:2026-03-01").after == day("2026-03-02")  # strictly after that day
    during = parse("during:2026-03-01")
    assert (during.after, during.before) == (day("2026-03-01"), day("2026-03-02"))


@pytest.mark.parametrize("bad", ["has:banana", "is:cat", "before:yesterday", "during:2026-13-01", "in:attic"])
def test_a_bad_operator_value_is_an_error(bad):
    with pytest.raises(QueryError):
        parse(bad)


def test_unknown_operators_and_odd_input_are_words():
    assert parse("note:this").phrases == [["note", "this"]]
    assert parse('"unclosed phrase').phrases == [["unclosed", "phrase"]]
    assert parse('  ""  -  ').empty
    assert parse("NEAR OR AND ^ *").words == ["near", "or", "and"]  # no full-text syntax gets through


def test_index_text_drops_markup_accents_and_case_and_sees_real_links():
    body, has_link = status_document('<p>Ça <a href="/tags/x" class="mention hashtag">#<span>DevOps</span></a> '
                                     '<span class="h-card"><a href="/@a" class="u-url mention">@a</a></span></p>', "CW")
    assert (body, has_link) == ("cw ca devops a", False)
    assert html_text('<p>see <a href="https://example.com">example.com</a></p>') == (" see example.com ", True)
    assert words("k8s_cluster naïve") == ["k8s", "cluster", "naive"]
