# Retention, applied by the watchdog with the server's configuration
# (t/conf/extra.conf.in: max-age=30d keep=1000 keep-failures=3): finished
# executions older than 30 days or beyond the 1000 most recent of their
# cron are deleted with their messages, except the 3 most recent failures
# (ended with success false, or lost and never ended); running executions
# stay. Expired Idempotency-Key records are deleted too.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

plan tests => 10;

my $DAY = 86400;
my $now = db_now();

sub ids_of {
    my ($cron) = @_;
    return [ map { 0 + $_->{id} } @{ executions_of($cron) } ];
}

sub count_msgs_of {
    my ($ids) = @_;
    return 0 unless @$ids;
    my ($n) = dbh()->selectrow_array(
        'SELECT COUNT(*) FROM charon_message WHERE execution_id IN ('
      . join(',', map { 0 + $_ } @$ids) . ')');
    return 0 + $n;
}

# ---- the data of both crons, each cron's in one transaction
# ret-age: runs 40 days old (but the last two), in this order (ids grow
# with started_at).
my $age = seed_cron('ret-age', 1);
my $old = $now - 40 * $DAY;
my @spec;     # [name, row]
my $i = 0;
for my $k (1 .. 5) {
    my $t = $old + 60 * ++$i;
    push @spec, ["s$k", { started_at => $t, ended_at => $t + 10, success => 1,
                          type => 'success',
                          messages => [['info', "s$k a"], ['success', "s$k b"]] }];
}
for my $k (1 .. 5) {
    my $t = $old + 60 * ++$i;
    push @spec, ["f$k", { started_at => $t, ended_at => $t + 10, success => 0,
                          type => 'error', messages => [['error', "f$k"]] }];
}
my $t = $old + 60 * ++$i;
push @spec, ['lost', { started_at => $t, lost_at => $t + 30,
                       messages => [['info', 'lost']] }];
$t = $old + 60 * ++$i;
push @spec, ['lost-ended-ok', { started_at => $t, lost_at => $t + 30,
                                ended_at => $t + 40, success => 1,
                                type => 'success' }];
$t = $old + 60 * ++$i;
push @spec, ['running', { started_at => $t, messages => [['info', 'running']] }];
push @spec, ['29-days', { started_at => $now - 29 * $DAY,
                          ended_at => $now - 29 * $DAY + 10, success => 1,
                          type => 'success', messages => [['info', '29 days']] }];
push @spec, ['recent', { started_at => $now - 60, ended_at => $now - 50,
                         success => 1, type => 'success' }];
my $ids = insert_executions($age, [ map { $_->[1] } @spec ]);
my %id = map { $spec[$_][0] => $ids->[$_] } 0 .. $#spec;
my %name = reverse %id;
# Kept: the three most recent failures (f4, f5 and the lost run that never
# ended; the lost run that ended well is no failure), the running one, and
# those younger than 30 days.
my @keep_age = map { $id{$_} } qw(f4 f5 lost running 29-days recent);
my %kept = map { $_ => 1 } @keep_age;
my @gone_age = grep { !$kept{$_} } @$ids;

# ret-count: 1010 recent finished runs; the 5 oldest are failures. Kept:
# the 1000 most recent and the 3 most recent failures (older than those).
my $cnt = seed_cron('ret-count', 1);
my @rows = map {
    my $s = $now - 3600 + $_;
    { started_at => $s, ended_at => $s + 0.5, success => $_ > 5 ? 1 : 0,
      type => $_ > 5 ? 'success' : 'error' }
} 1 .. 1010;
my $cids = insert_executions($cnt, \@rows);
my @keep_cnt = @$cids[2 .. 4, 10 .. 1009];

# Idempotency-Key records: 2 days old (expired), 1 hour old (within the
# main server's 24 h window).
my $d = dbh();
for my $rec (["ret-$$-old", $now - 2 * $DAY], ["ret-$$-hour", $now - 3600]) {
    $d->do('DELETE FROM charon_idempotency WHERE key_name = ? AND idem_key = ?',
           undef, 'ret-test', $rec->[0]);
    $d->do('INSERT INTO charon_idempotency (key_name, idem_key, request, '
         . 'status, response, created_at) VALUES (?, ?, ?, ?, ?, ?)', undef,
           'ret-test', $rec->[0], 'a' x 64, 200, '{"id":1}', db_ts($rec->[1]));
}
sub idem_exists {
    my ($n) = dbh()->selectrow_array('SELECT COUNT(*) FROM charon_idempotency '
        . 'WHERE key_name = ? AND idem_key = ?', undef, 'ret-test', $_[0]);
    return 0 + $n;
}

sub names { join ' ', map { $name{$_} // $_ } @_ }

# ---- age and failures (4)
ok(wait_until(sub { count_executions($age) <= @keep_age }, 15),
   'the watchdog purged the old runs of ret-age within 15 s')
    or diag 'left: ' . names(@{ ids_of($age) });
is(names(@{ ids_of($age) }), names(@keep_age),
   'kept: the 3 most recent failures (a lost run never ended is one), the '
 . 'running one, the younger than 30 days; gone: old successes, older '
 . 'failures, the lost run that ended well');
is(count_msgs_of(\@gone_age), 0, 'the messages of the deleted runs are gone');
is(count_msgs_of(\@keep_age), 5, 'the messages of the kept runs are kept');

# ---- count (2)
ok(wait_until(sub { count_executions($cnt) <= @keep_cnt }, 20),
   'ret-count: down to 1003 executions within 20 s')
    or diag 'left: ' . count_executions($cnt);
my $left = ids_of($cnt);
ok("@$left" eq "@keep_cnt",
   'kept exactly the 1000 most recent and the 3 most recent failures')
    or diag sprintf 'left %d, expected %d; first left: %s', scalar @$left,
        scalar @keep_cnt, join(' ', @$left[0 .. 5]);

# ---- expired Idempotency-Key records (2)
ok(wait_until(sub { !idem_exists("ret-$$-old") }, 10),
   'an Idempotency-Key record 2 days old is deleted');
ok(idem_exists("ret-$$-hour"),
   'one 1 hour old is kept (within the main server window)');

# ---- nothing more goes in later ticks (2)
is(names(@{ ids_of($age) }), names(@keep_age), 'ret-age: still the same runs');
is(count_executions($cnt), scalar @keep_cnt, 'ret-count: still 1003');
