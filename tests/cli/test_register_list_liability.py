"""`safegov register list` shows the clauses of 〔十四〕 and 〔十八〕 (issue 16 items 4, 7) with their
articles: the obligation on its line, the accountability rule on one of the rules' lines."""

from __future__ import annotations


def test_register_list_shows_the_liability_clauses(capsys):
    from safegov.cli.main import main

    assert main(["register", "list"]) == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in capsys.readouterr().out.splitlines()}
    review = lines["LIABILITY-TRAINING-REVIEW"]
    assert review[1:4] == ["〔十四〕", "event", "accident"]
    assert review[-1] == "生产安全责任事故一律倒查安全培训责任"
    refusal = lines["HAZARD-REFUSAL-PENALTY"]
    assert refusal[1:5] == ["〔十八〕", "rule", "hazard_refused", "2017-01-26.."]
    assert "法定代表人和实际控制人" in refusal[-1]
