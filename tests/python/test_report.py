"""The listening report (OUT/report.html) in headless Chromium, as a user opens
it from the file system: a real batch over inputs/ (one sound in a subfolder)
plus a broken file, and a synthetic 10,000-row summary.

Run by ctest (`report_in_browser`). Environment: DRUMSYNTH_BINARY (the CLI),
DRUMSYNTH_SOURCE_DIR; REPORT_SCREENSHOT=PATH also saves the page's first
screen (how docs/report.png is made). Skips when Chromium, its driver or
Selenium is missing (scripts/test installs them).
"""
import json
import os
import shutil
import struct
import subprocess
import time
import wave
from pathlib import Path

import pytest

webdriver = pytest.importorskip("selenium.webdriver", reason="python3-selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

SOURCE = Path(os.environ.get("DRUMSYNTH_SOURCE_DIR", Path(__file__).resolve().parents[2]))
CLI = os.environ.get("DRUMSYNTH_BINARY", str(SOURCE / "build" / "drumsynth"))


def chromium():
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip("chromium or chromedriver is not installed (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--allow-file-access-from-files", "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.chrome.service.Service(executable_path=driver)
    return webdriver.Chrome(service=service, options=options)


@pytest.fixture(scope="module")
def browser():
    d = chromium()
    yield d
    d.quit()


def wav_to_aiff(wav_path, aiff_path, seconds):
    """The first seconds of a 16-bit WAV as 16-bit AIFF (big-endian PCM), which browsers do not play."""
    with wave.open(str(wav_path)) as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        frames = w.readframes(int(seconds * rate))
    assert width == 2, "a 16-bit source"
    pcm = bytearray(frames)
    pcm[0::2], pcm[1::2] = frames[1::2], frames[0::2]  # little- to big-endian
    n = len(pcm) // (2 * channels)
    # COMM's rate is an 80-bit extended float: exponent 16383 + e, mantissa with its top bit set.
    e = rate.bit_length() - 1
    rate80 = struct.pack(">HQ", 16383 + e, rate << (63 - e))
    comm = struct.pack(">hIh", channels, n, 16) + rate80
    ssnd = struct.pack(">II", 0, 0) + bytes(pcm)
    body = b"AIFF" + b"COMM" + struct.pack(">I", len(comm)) + comm + b"SSND" + struct.pack(">I", len(ssnd)) + ssnd
    Path(aiff_path).write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """inputs/*.wav (timpany in a subfolder), one as AIFF, and a broken file, fitted for 20 iterations."""
    root = tmp_path_factory.mktemp("report")
    src, out = root / "in", root / "out"
    (src / "sub").mkdir(parents=True)
    for f in (SOURCE / "inputs").glob("*.wav"):
        shutil.copy(f, src / ("sub" if f.stem == "timpany" else "") / f.name)
    wav_to_aiff(SOURCE / "inputs" / "frame_drum.wav", src / "sub" / "frame_drum_aiff.aif", 0.6)
    (src / "broken.wav").write_bytes(os.urandom(3000))
    r = subprocess.run([CLI, "batch", str(src), "-o", str(out), "--iterations", "20", "--device", "cpu", "--quiet"],
                       capture_output=True, text=True)
    assert r.returncode == 3, r.stderr  # some sounds failed
    assert (out / "report.html").exists()
    return src, out


def names(browser):
    return [tr.get_attribute("data-name") for tr in browser.find_elements(By.CSS_SELECTOR, "#rows tr")]


def severe_console_messages(browser):
    return [m for m in browser.get_log("browser") if m["level"] == "SEVERE"]


def wav_seconds(path):
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def test_batch_report_loads_plays_sorts_filters_and_lists_the_failure(browser, batch):
    src, out = batch
    browser.get((out / "report.html").as_uri())
    assert names(browser)[0] == "broken.wav", "failed sounds sort first among the worst"
    assert severe_console_messages(browser) == []

    # The failed file, with its reason, and no player.
    failed = browser.find_element(By.CSS_SELECTOR, "tr.failed")
    assert "broken.wav" in failed.text and "not a readable audio file" in failed.text
    assert failed.find_elements(By.TAG_NAME, "audio") == []

    # Every audio element has a playable source whose duration is the file's:
    # the AIFF target plays through its WAV preview.
    audios = browser.find_elements(By.TAG_NAME, "audio")
    assert len(audios) == 2 * 5
    sources = []
    for audio in audios:
        src_url = audio.get_attribute("src")
        path = Path(browser.execute_script("return decodeURIComponent(new URL(arguments[0]).pathname)", src_url))
        sources.append(path)
        deadline = time.time() + 10
        while browser.execute_script("return arguments[0].readyState", audio) < 1 and time.time() < deadline:
            time.sleep(0.05)
        duration = browser.execute_script("return arguments[0].duration", audio)
        assert browser.execute_script("return arguments[0].error", audio) is None, path
        assert duration == pytest.approx(wav_seconds(path), abs=2e-3), path
    assert not any(p.suffix == ".aif" for p in sources)
    assert any(p.name == "frame_drum_aiff.aif.target.wav" for p in sources), sources

    # Every picture loads (lazy ones once scrolled to).
    images = browser.find_elements(By.CSS_SELECTOR, "#rows img")
    assert len(images) == 4 * 5  # two spectrograms, the loss curve and the attack per fitted sound
    for img in images:
        browser.execute_script("arguments[0].scrollIntoView()", img)
        deadline = time.time() + 10
        while not browser.execute_script("return arguments[0].complete", img) and time.time() < deadline:
            time.sleep(0.05)
        assert browser.execute_script("return arguments[0].naturalWidth", img) > 0, img.get_attribute("src")

    # Sorting by loss reorders the rows: best first is worst first reversed.
    worst_first = [n for n in names(browser) if n != "broken.wav"]
    Select(browser.find_element(By.ID, "sort")).select_by_value("loss-asc")
    best_first = [n for n in names(browser) if n != "broken.wav"]
    assert best_first == worst_first[::-1] and best_first != worst_first
    losses = [float(td.text.split()[0]) for td in browser.find_elements(By.CSS_SELECTOR, "#rows td.loss")]
    assert losses == sorted(losses)

    # The folder filter hides the other rows.
    Select(browser.find_element(By.ID, "folder")).select_by_value("sub")
    assert sorted(names(browser)) == ["sub/frame_drum_aiff.aif", "sub/timpany.wav"]
    Select(browser.find_element(By.ID, "folder")).select_by_value("")
    assert len(names(browser)) == 6
    assert severe_console_messages(browser) == []


def test_resumed_batch_report_covers_every_sound(batch):
    src, out = batch
    shutil.copy(SOURCE / "inputs" / "hi_snare.wav", src / "sub" / "again.wav")
    subprocess.run([CLI, "batch", str(src), "-o", str(out), "--iterations", "5", "--device", "cpu", "--quiet"],
                   capture_output=True, text=True)
    html = (out / "report.html").read_text()
    rows = json.loads(html.split('<script id="row-data" type="application/json">')[1].split("</script>")[0])
    assert sorted(r["name"] for r in rows) == sorted(
        ["broken.wav", "frame_drum.wav", "hi_snare.wav", "ringing_snare.wav", "sub/timpany.wav", "sub/again.wav",
         "sub/frame_drum_aiff.aif"])
    assert all("final_loss" in r for r in rows if r["name"] != "broken.wav")


def test_ten_thousand_rows_render_their_first_screen_in_under_two_seconds(browser, batch, tmp_path):
    """A synthetic summary of 10,000 sounds, every one a link to one fitted sound."""
    src, out = batch
    big_in, big_out = tmp_path / "in", tmp_path / "out"
    items = []
    for i in range(10000):
        folder = f"kit{i % 20:02d}"
        rel = f"{folder}/hit{i:05d}.wav"
        for d in (big_in / folder, big_out / folder):
            d.mkdir(parents=True, exist_ok=True)
        (big_in / rel).symlink_to(src / "hi_snare.wav")
        for ext in (".preset.json", ".wav", ".loss.svg", ".loss.csv"):
            (big_out / folder / f"hit{i:05d}{ext}").symlink_to(out / f"hi_snare{ext}")
        items.append({"file": rel, "status": "ok", "input": str(big_in / rel), "error": ""})
    (big_out / "summary.json").write_text(json.dumps({"input_folder": str(big_in), "items": items}))
    subprocess.run([CLI, "report", str(big_out), "--quiet"], check=True)
    start = time.monotonic()
    browser.get((big_out / "report.html").as_uri())
    wall = time.monotonic() - start  # to the load event: pictures and audio metadata of the first page too
    first_rows = browser.execute_script("return performance.getEntriesByName('first-rows')[0].startTime")
    assert browser.execute_script("return document.querySelectorAll('#rows tr').length") == 50
    assert "10000 of 10000 sounds" in browser.find_element(By.ID, "count").text
    # From navigation start to the first page of rows in the document (the
    # page's own mark); the load event after it waits for the media as well.
    assert first_rows < 2000, f"first screen after {first_rows:.0f} ms (load event after {wall:.2f} s)"
    print(f"10,000 rows: first page of rows at {first_rows:.0f} ms, load event at {wall:.2f} s")
    assert severe_console_messages(browser) == []
    shot = os.environ.get("REPORT_SCREENSHOT")
    if shot:
        browser.get((out / "report.html").as_uri())
        time.sleep(1)
        browser.save_screenshot(shot)
