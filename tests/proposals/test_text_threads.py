"""Proposal pages render Markdown from many gunicorn threads at once: text.py must be thread-safe."""
import threading

from participation.text import render_markdown


def test_render_markdown_from_many_threads():
    source = "駅前の**駐輪場**を増やしてください。\n\n- 屋根\n- 照明\n\n詳しくは https://example.jp/a を見てください。"
    expected = str(render_markdown(source))
    results, errors = [], []

    def work():
        try:
            for _ in range(150):
                results.append(str(render_markdown(source)) == expected)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and all(results) and len(results) == 1200
