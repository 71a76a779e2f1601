# Two Apache servers on one database, 1,000 crons going down at once:
# every event is made once, delivered at least once to the webhook, and
# any duplicate carries the same event id; both servers take part.
#
# The second server (t/lib/SecondServer.pm) has the same channels
# (t/conf/alerts.conf); the runs of the 1,000 crons end failed in one
# statement, so that both watchdogs find the outcomes waiting together.
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use SecondServer;
use JSON::PP ();
use LWP::UserAgent;

plan tests => 7;

my $CRONS = 1000;
my $SINK = $ENV{CHARON_TEST_SINK} or BAIL_OUT('CHARON_TEST_SINK is not set');
my $t_dir = Apache::Test::vars('t_dir');
my $ua = LWP::UserAgent->new(timeout => 30);
my $J = JSON::PP->new;

my $second = SecondServer::start(
    name => 'alerts-second',
    extra => qq{Include "$t_dir/conf/alerts.conf"\n});
ok($second, 'a second server runs, with the same channels')
    or BAIL_OUT('no second server');

my @crons = map { seed_cron(sprintf('alert-many-%04d', $_), 1) } 1 .. $CRONS;
my $ids = join ',', @crons;
# A running execution each, then all ended failed at once.
dbh()->begin_work;
insert_execution($_, started_at => db_now() - 5) for @crons;
dbh()->commit;
my $main_log = Apache::Test::vars('t_logs') . '/error_log';
my $main_from = -s $main_log // 0;
my $second_from = -s $second->{error_log} // 0;
dbh()->do("UPDATE charon_execution SET ended_at = ?, success = ?, type = 'error' "
        . "WHERE cron_id IN ($ids) AND ended_at IS NULL", undef,
          db_ts(db_now()), 0);

sub received {
    my $r = $ua->get("$SINK/_sink/received?path=/many");
    return $r->is_success ? $J->decode($r->decoded_content) : [];
}

my $events = wait_until(sub {
    my ($n) = dbh()->selectrow_array(
        "SELECT COUNT(*) FROM charon_alert_event WHERE cron_id IN ($ids)");
    $n >= $CRONS ? $n : 0 }, 120);
is($events, $CRONS, "$CRONS down events made, one per cron (not two)");

my %by_id;
my $all = wait_until(sub {
    %by_id = ();
    push @{ $by_id{ $_->{headers}{'x-charon-event-id'} // '' } }, $_
        for @{ received() };
    keys(%by_id) >= $CRONS }, 180);
my $uids = dbh()->selectcol_arrayref(
    "SELECT uid FROM charon_alert_event WHERE cron_id IN ($ids)");
my @lost = grep { !$by_id{$_} } @$uids;
ok($all && !@lost, "every event delivered at least once within 3 minutes")
    or diag scalar(@lost) . ' never arrived, e.g. ' . join(' ', @lost[0 .. 4]);

# A duplicate is the same event sent again: same id, same document.
my @dups = grep { @{ $by_id{$_} } > 1 } keys %by_id;
my @differ = grep {
    my @b = map { $_->{body} } @{ $by_id{$_} };
    grep { $_ ne $b[0] } @b } @dups;
ok(!@differ, scalar(@dups) . ' duplicates, each the same document under its id');
my ($undelivered) = dbh()->selectrow_array(
    "SELECT COUNT(*) FROM charon_alert_delivery d JOIN charon_alert_event e ON "
  . "e.id = d.event_id WHERE e.cron_id IN ($ids) AND d.channel = 'many' "
  . "AND d.state <> 'delivered'");
ok(wait_until(sub {
       my ($n) = dbh()->selectrow_array(
           "SELECT COUNT(*) FROM charon_alert_delivery d JOIN charon_alert_event "
         . "e ON e.id = d.event_id WHERE e.cron_id IN ($ids) AND d.channel = "
         . "'many' AND d.state <> 'delivered'");
       $n == 0 }, 30), 'every delivery recorded delivered')
    or diag "$undelivered not delivered";

# Each server logs the alert events its watchdog made (CHARON323) and
# each delivery (CHARON321, debug).
sub logged {
    my ($file, $from, $re) = @_;
    open my $fh, '<', $file or return 0;
    seek $fh, $from, 0;
    my $n = 0;
    while (<$fh>) { $n++ if /$re/ }
    return $n;
}
my $many = qr/CHARON321: alert \S+ delivered to channel many /;
my ($m, $s) = (logged($main_log, $main_from, $many),
               logged($second->{error_log}, $second_from, $many));
# Which server sent how many is chance (the split is shown, not judged).
ok($m + $s >= $CRONS, "the servers logged $m and $s deliveries, "
                    . "$CRONS or more in all");
ok(logged($main_log, $main_from, qr/CHARON323/)
   + logged($second->{error_log}, $second_from, qr/CHARON323/) > 0,
   'the watchdogs logged the events they made');
