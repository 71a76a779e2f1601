"""screenshots: reading a cron's schedule state off the list's HTML."""

import unittest

from harness import screenshots

# Rows as src/admin/page_list.c writes them (cut short).
LIST = """<table id="crons"><tbody>
<tr data-slug="heartbeat-old"><td><a class="cron-link" href="?cron=7">
heartbeat-old</a></td><td class="schedule"><code class="sched-text">@every
1m</code><br><span class="sched-state sched-missed"
data-sched-state="missed">missed</span></td></tr>
<tr data-slug="heartbeat" data-cron-id="3"><td><a class="cron-link" href="?cron=3">heartbeat</a>
</td><td class="schedule"><code class="sched-text">@every 1m</code><br><span
class="sched-state sched-due" data-sched-state="due">due</span> <span
class="muted last-state">(latest slot judged: missed)</span></td></tr>
<tr data-slug="cleanup-tmp"><td class="schedule">no schedule</td></tr>
<tr data-slug="weekly-report"><td class="schedule"><span class="sched-state
sched-off" data-sched-state="off">not judged while off</span></td></tr>
</tbody></table>"""


class TestSchedState(unittest.TestCase):

    def test_the_rows_own_state(self):
        self.assertEqual(screenshots.sched_state(LIST, "heartbeat"), "due")
        self.assertEqual(screenshots.sched_state(LIST, "heartbeat-old"),
                         "missed")
        self.assertEqual(screenshots.sched_state(LIST, "weekly-report"),
                         "off")

    def test_not_the_next_rows(self):
        # a row without a state must not borrow the next row's
        self.assertIsNone(screenshots.sched_state(LIST, "cleanup-tmp"))

    def test_no_such_row(self):
        self.assertIsNone(screenshots.sched_state(LIST, "heart"))
        self.assertIsNone(screenshots.sched_state("", "heartbeat"))


if __name__ == "__main__":
    unittest.main()
