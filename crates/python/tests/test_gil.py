"""kpanic releases the GIL while it works: Python threads keep running meanwhile."""

import threading
import time
from pathlib import Path

import kpanic

BIG = Path("testdata/corpus/ios-ips-full-mte-keystore-01.ips")  # 1.9 MB full panic


def count_during(work):
    """How many times another Python thread counted while `work` ran, and how long it ran."""
    stop = threading.Event()
    count = [0]

    def counter():
        # Each turn waits a little without the GIL and takes it back to count: the count
        # goes on only while nobody holds the GIL for long.
        while not stop.wait(0.0002):
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    time.sleep(0.02)  # the counter is running
    before = count[0]
    start = time.perf_counter()
    work()
    elapsed = time.perf_counter() - start
    during = count[0] - before
    stop.set()
    t.join()
    return during / elapsed, elapsed


def test_diagnose_of_a_big_full_panic_lets_python_run():
    data = BIG.read_bytes()
    free, _ = count_during(lambda: time.sleep(0.1))
    rate, elapsed = count_during(lambda: [kpanic.diagnose(data) for _ in range(3)])
    assert elapsed > 0.02, "the work is too short to tell"
    # Released, the counter goes on all the time the call runs, about as often as during a
    # sleep (less what a busy machine takes); held in native code, it cannot count once.
    assert rate > 0.2 * free, (rate, free, elapsed)
