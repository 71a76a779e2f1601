# Two Apache servers on one database judge the same crons' slots at the
# same time: each missed slot is recorded once and counted once.
#
# The second server is a plain httpd started here (its own port, logs and
# runtime directory under t/logs/second, the same database through
# t/conf/db.conf, a watchdog tick every second), and stopped at the end
# whatever happens.  The crons' judgments are moved twenty minutes back,
# all at once, three times over, so that both watchdogs find the same
# crons due in the same seconds.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use SecondServer;
use IO::Socket::INET;
use POSIX qw(floor);

plan tests => 7;

# Enough work that no tick does it all: a tick judges for half its
# interval (0.5 s here) and leaves the rest to the next, of either server.
my $CRONS = 400;
my $BACK = 2400;    # forty slots each
my $second = SecondServer::start(name => 'second');
my $up = $second;
my $port = $second ? $second->{port} : 0;
ok($up, "a second server runs on 127.0.0.1:$port") or BAIL_OUT('no second server');

my @crons = map { seed_cron("two-$_", 1) } 1 .. $CRONS;
set_schedule($_, '@every 1m', undef, 30) for @crons;
my @un = grep { !wait_watched($_, 30) } @crons;
ok(!@un, "$CRONS crons with a schedule, watched") or diag "@un";

# Rounds: every cron moved back forty minutes at once; both servers judge
# what is due, a tick of either taking some crons, until each server has
# judged some (which of them ticks first after a rewind is chance: at most
# six rounds).
my $t0 = floor(db_now()) - $BACK;
my $rounds_ok = 1;
my $main_log_file = Apache::Test::vars('t_logs') . '/error_log';
my ($m, $s) = (0, 0);
# What this test's rounds judged: the main log from where it stood.
my $main_from = -s $main_log_file // 0;
sub judged {
    my ($file, $from) = @_;
    open my $lh, '<', $file or return 0;
    seek $lh, $from // 0, 0;
    my $log = do { local $/; <$lh> } // '';
    my $n = 0;
    $n += $1 while $log =~ /CHARON308: watchdog: slots of (\d+) crons judged/g;
    return $n;
}
my $rounds = 0;
while ($rounds < 6 && ($rounds < 3 || !$m || !$s)) {
    $rounds++;
    my $ts = db_ts($t0);
    dbh()->begin_work;
    dbh()->do('UPDATE charon_cron_watch SET checked_until = ?, starts_until '
            . '= ?, next_deadline = ? WHERE cron_id = ?', undef, $ts, $ts,
              $ts, $_) for @crons;
    dbh()->commit;
    my $done = wait_until(sub {
        my ($n) = dbh()->selectrow_array(
            'SELECT COUNT(*) FROM charon_cron_watch WHERE checked_until > ? '
          . 'AND cron_id IN (' . join(',', @crons) . ')', undef, $ts);
        $n == $CRONS;
    }, 120);
    $rounds_ok &&= $done;
    ($m, $s) = (judged($main_log_file, $main_from),
                judged($second->{error_log}));
}
ok($rounds_ok, "$rounds times, every cron judged again within two minutes");

my $ids = join ',', @crons;
my $dups = dbh()->selectall_arrayref(
    "SELECT cron_id, slot, COUNT(*) FROM charon_execution WHERE cron_id IN "
  . "($ids) GROUP BY cron_id, slot HAVING COUNT(*) > 1");
is(scalar @$dups, 0, 'no slot has two rows') or diag explain $dups;

my (@wrong, @miscount);
for my $c (@crons) {
    my $w = watch_row($c) || {};
    my $rows = slot_rows($c);
    my %have = map { $_->{slot} => 1 } @$rows;
    # Every slot from t0 to the last deadline judged has its row.
    my @missing;
    for (my $s = (floor(($t0 - 30) / 60) + 1) * 60;
         $s + 30 <= ($w->{checked_until} // 0); $s += 60) {
        push @missing, $s unless $have{$s};
    }
    push @wrong, "cron $c: no row for @missing" if @missing;
    push @wrong, "cron $c: judged to " . ($w->{checked_until} // 'never')
        unless ($w->{checked_until} // 0) > $t0 + $BACK - 120;
    # The counter and the rows in one statement: the same snapshot on each
    # database.  Read apart, a slot judged in between (the clock runs on:
    # one comes due each minute) counts one more than the rows read before.
    my ($counted, $nrows) = dbh()->selectrow_array(
        'SELECT s.runs_missed, (SELECT COUNT(*) FROM charon_execution e '
      . 'WHERE e.cron_id = s.cron_id AND e.missed IS NOT NULL) '
      . 'FROM charon_cron_stats s WHERE s.cron_id = ?', undef, $c);
    next if defined $counted && $counted == $nrows;
    my $st = cron_stats($c);
    # On a miscount, what the next look needs: the cron's slots and their
    # rows' kinds and ids, its counters and its watch.
    push @miscount, "cron $c: $st->{runs_missed} counted, " . scalar(@$rows)
        . ' rows; watch ' . join(',', map { "$_=" . ($w->{$_} // '-') }
                                   sort keys %$w)
        . '; stats ' . join(',', map { "$_=" . ($st->{$_} // '-') }
                             sort keys %$st)
        . '; rows ' . join(' ', map { join(':', map { $_ // '-' } @$_{
              sort keys %$_ }) } @$rows)
        . " (in one statement: " . ($counted // 'no stats row') . " counted, "
        . ($nrows // '-') . ' rows)';
}
ok(!@wrong, 'every slot of the forty minutes has its missed row')
    or diag join "\n", @wrong;
ok(!@miscount, 'each counted once: runs_missed is the number of rows')
    or diag join "\n", @miscount;

# Both servers did judge (each logs what a tick judged, CHARON308).
ok($m && $s, "both servers judged crons ($m and $s judgments)")
    or diag "main: $m; second: $s";

set_schedule($_, undef) for @crons;
