"""stats: the figures the benchmarks print."""

import unittest

from harness import stats


class TestStats(unittest.TestCase):

    def test_mean_median(self):
        self.assertEqual(stats.mean([1, 2, 3, 6]), 3)
        self.assertEqual(stats.mean([]), 0)
        self.assertEqual(stats.median([5, 1, 3]), 3)
        self.assertEqual(stats.median([4, 1, 3, 2]), 2.5)
        self.assertEqual(stats.median([7]), 7)

    def test_percentile(self):
        xs = list(range(1, 101))            # 1..100
        self.assertEqual(stats.percentile(xs, 0), 1)
        self.assertEqual(stats.percentile(xs, 100), 100)
        self.assertAlmostEqual(stats.percentile(xs, 50), 50.5)
        self.assertAlmostEqual(stats.percentile(xs, 99), 99.01)
        self.assertEqual(stats.percentile([3, 1, 2], 50), 2)
        self.assertEqual(stats.percentile([], 99), 0)
        with self.assertRaises(ValueError):
            stats.percentile(xs, 101)

    def test_ratio_fmt(self):
        self.assertEqual(stats.ratio(1, 3), "0.33")
        self.assertEqual(stats.ratio(2, 1, 0), "2")
        self.assertEqual(stats.ratio(5, 0), "-")
        self.assertEqual(stats.fmt(1234.567), "1235")
        self.assertEqual(stats.fmt(0.125, 2), "0.12")

    def test_human(self):
        self.assertEqual(stats.human(10000000), "10M")
        self.assertEqual(stats.human(2500000), "2.5M")
        self.assertEqual(stats.human(100000), "100k")
        self.assertEqual(stats.human(1500), "1.5k")
        self.assertEqual(stats.human(999), "999")

    def test_markdown_table(self):
        t = stats.markdown_table(["a", "b"], [["1", "x|y"], [2, 3]])
        self.assertEqual(t, "| a | b |\n|---|---|\n| 1 | x/y |\n| 2 | 3 |\n")
        with self.assertRaises(ValueError):
            stats.markdown_table(["a", "b"], [["only one"]])

    def test_markdown_table_padded(self):
        t = stats.markdown_table(["fault", "n"], [["x", 1000]], pad=True)
        self.assertEqual(t, "| fault | n    |\n|-------|------|\n"
                            "| x     | 1000 |\n")


if __name__ == "__main__":
    unittest.main()
