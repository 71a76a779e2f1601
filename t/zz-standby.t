# A PostgreSQL primary that waits for a synchronous standby it does not
# have (the standby died, or a promoted standby still names one) holds
# every commit for ever: statement_timeout does not cover that wait.  The
# module cancels a statement past its bound (src/db/cancel.c): the write
# then stands on the primary alone, unconfirmed, and the answer is a 503
# in bounded time that a retry with the same Idempotency-Key resolves.
#
# Here the suite's server is told to wait for a standby named 'nobody'.
# Put back whatever happens (END).  PostgreSQL only.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use Time::HiRes ();

my $d = dbh();
plan skip_all => 'a synchronous standby is PostgreSQL\'s'
    unless $d->{Driver}{Name} eq 'Pg';
plan tests => 6;

my $cron = seed_cron('standby-cron', 1);
CharonTest::ua();

my $waiting = 0;
sub standby {
    my ($name) = @_;
    my $d = dbh();
    my ($db) = $d->selectrow_array('SELECT current_database()');
    $db = $d->quote_identifier($db);
    $d->do($name ? "ALTER SYSTEM SET synchronous_standby_names = '$name'"
                 : 'ALTER SYSTEM RESET synchronous_standby_names');
    $d->do('SELECT pg_reload_conf()');
    # The suite's server runs with synchronous_commit=off on its command
    # line; the database's setting outranks it, for sessions that begin
    # after: the module's connections are dropped, and connected again.
    $d->do($name ? "ALTER DATABASE $db SET synchronous_commit = on"
                 : "ALTER DATABASE $db RESET synchronous_commit");
    $d->selectall_arrayref('SELECT pg_terminate_backend(pid) FROM '
        . 'pg_stat_activity WHERE datname = current_database() '
        . 'AND pid <> pg_backend_pid()');
    $waiting = $name ? 1 : 0;
    select undef, undef, undef, 1.5;    # idle connections are pinged
}
END { eval { standby(undef) } if $waiting }

my $before = count_executions($cron);
standby('nobody');
my $t0 = Time::HiRes::time();
my $res = req(GET => "/api/$cron/start", key => KEY_CLEAR,
              headers => ['Idempotency-Key' => 'standby-1']);
my $took = Time::HiRes::time() - $t0;
ok_problem($res, 503, 'a start whose commit waits for the standby: 503');
ok($took >= 5 && $took < 12, sprintf('in bounded time (%.1f s: cancelled '
                                     . 'after 6 s)', $took));
is(count_executions($cron), $before + 1,
   'the start stands on the primary: written, not confirmed');

# Reads do not wait for a standby: the retry replays the stored answer.
my $again = req(GET => "/api/$cron/start", key => KEY_CLEAR,
                headers => ['Idempotency-Key' => 'standby-1']);
ok($again->code == 200
   && ($again->header('Idempotent-Replayed') // '') eq 'true',
   'the retry with the same Idempotency-Key gets the first answer at once')
    or diag $again->as_string;
is(count_executions($cron), $before + 1, 'and writes nothing');

standby(undef);
ok_json(req(GET => "/api/$cron/start", key => KEY_CLEAR),
        'the standby no longer awaited: starts succeed', keys => ['id']);
