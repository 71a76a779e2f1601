# A schema loaded without its triggers (MySQL with binary logging and no
# SUPER refuses them with error 1419, Galera included) would lose run
# outcomes and alerts in silence: the module refuses it, says so once in
# the error_log, and takes it again by itself once the triggers are back.
#
# A second server (t/lib/SecondServer.pm) opens fresh connections while
# one trigger is missing.  The trigger is put back whatever happens (END).
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;
use SecondServer;
use LWP::UserAgent;
use JSON::PP ();

plan tests => 7;

my $TRIGGER = 'charon_alert_attempt_counted';
my $d = dbh();
my $drv = $d->{Driver}{Name};
my ($file, $expected) = $drv eq 'Pg' ? ('postgresql', 3)
                      : $drv eq 'SQLite' ? ('sqlite', 6) : ('mysql', 4);

# The trigger's own CREATE statement, from the schema the suite loaded.
my $sql = do { local (@ARGV, $/) = "$FindBin::Bin/../sql/$file.sql"; <> };
my $end = $drv eq 'SQLite' ? qr/\bEND;/ : qr/;/;
my ($create) = $sql =~ /(CREATE TRIGGER (?:IF NOT EXISTS )?$TRIGGER\b.*?$end)/s;
die "no CREATE TRIGGER $TRIGGER in sql/$file.sql\n" unless $create;
my $drop = "DROP TRIGGER IF EXISTS $TRIGGER"
         . ($drv eq 'Pg' ? ' ON charon_alert_attempt' : '');

my $dropped = 0;
END { eval { dbh()->do($create) } if $dropped }

my $cron = seed_cron('schema-cron', 1);
$d->do($drop);
$dropped = 1;

my $second = SecondServer::start(name => 'schema-second');
ok($second, 'a second server starts while a trigger is missing')
    or BAIL_OUT('no second server');
my $ua = LWP::UserAgent->new(timeout => 15);
my $url = "http://127.0.0.1:$second->{port}/api/schema-cron/can-start";
my @key = ('X-Api-Key' => 'test-key-second-0123456789');

sub lines {
    my ($re) = @_;
    open my $fh, '<', $second->{error_log} or return ();
    return grep { /$re/ } <$fh>;
}

my $res = $ua->get($url, @key);
my $body = eval { JSON::PP::decode_json($res->content) } // {};
ok($res->code == 503 && $res->header('Retry-After')
   && ($body->{detail} // '') =~ /schema is incomplete/,
   'its requests are answered 503: the schema is incomplete')
    or diag $res->as_string, grep { !/:(debug|trace)/ } lines(qr/./);

my @said = lines(qr/CHARON118: .*schema is incomplete/);
is(scalar @said, 1, 'the error_log says so once') or diag @said;
like($said[0] // '', qr/1 of the $expected triggers that sql\/ makes are missing/,
     'counting the missing triggers, and saying what to do')
    or diag @said;

$d->do($create);
$dropped = 0;
# Looked at again at most once a second, on each connection.
my $deadline = time + 20;
do { $res = $ua->get($url, @key); sleep 1 unless $res->code == 200 }
    while $res->code != 200 && time < $deadline;
is($res->code, 200, 'the trigger back, its requests succeed again by themselves')
    or diag $res->as_string;
my @back = lines(qr/CHARON119: /);
is(scalar @back, 1, 'and the error_log says so once') or diag @back;

# The main server's threads may have opened connections meanwhile: they
# too look again.
$deadline = time + 10;
my $main;
do { $main = req(GET => '/api/schema-cron/can-start', key => KEY_CLEAR);
     sleep 1 unless $main->code == 200 }
    while $main->code != 200 && time < $deadline;
is($main->code, 200, 'the main server answers 200 too');
