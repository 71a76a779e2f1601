package CharonAlertSeed;

# Alert rows written straight into the database under test, for the tests
# of what the manager, the metrics and the health check show of them
# (t/alerts_manager.t, t/metrics.t, t/health.t): events, their deliveries
# and the attempts (whose trigger counts them in charon_alert_stats), and
# a cron's alert state.  Times are given as seconds ago, from the
# database's clock, in its own format (CharonTest's db_ts).  Channels
# seeded here are names no CharonAlert of the test server has, so no
# watchdog ever claims their deliveries: they stay as written.

use strict;
use warnings;

use CharonTest;

use Exporter 'import';
our @EXPORT = qw(seed_event seed_delivery seed_attempt seed_alert_state
                 purge_alert_rows new_uid);

my $SEQ = 0;

# A UUID-shaped id, unique to this run.
sub new_uid {
    $SEQ++;
    return sprintf '%08x-%04x-4%03x-a%03x-%012x', time & 0xFFFFFFFF,
        $$ & 0xFFFF, $SEQ & 0xFFF, int(rand(4096)), int(rand(2**47));
}

sub ago { db_ts(db_now() - $_[0]) }

# seed_event(cron => id|undef, event => 'down', muted => 0, ago => 60,
#            document => '{...}') -> (id, uid)
sub seed_event {
    my (%o) = @_;
    my $uid = new_uid();
    my $doc = $o{document}
        // qq({"id":"$uid","event":"$o{event}","summary":"seeded"});
    dbh()->do('INSERT INTO charon_alert_event (uid, cron_id, event, muted, '
            . 'created_at, document) VALUES (?, ?, ?, ?, ?, ?)', undef,
              $uid, $o{cron}, $o{event} // 'down', $o{muted} ? 1 : 0,
              ago($o{ago} // 0), $doc);
    my ($id) = dbh()->selectrow_array(
        'SELECT id FROM charon_alert_event WHERE uid = ?', undef, $uid);
    return ($id, $uid);
}

# seed_delivery($event_id, $channel, state => 'pending', attempts => 0,
#               ago => 0 (queued), due_in => 0, delivered_ago => undef,
#               error => undef) -> id
sub seed_delivery {
    my ($event, $channel, %o) = @_;
    my $state = $o{state} // 'pending';
    dbh()->do('INSERT INTO charon_alert_delivery (event_id, channel, state, '
            . 'attempts, due_at, delivered_at, last_error, created_at) '
            . 'VALUES (?, ?, ?, ?, ?, ?, ?, ?)', undef,
              $event, $channel, $state, $o{attempts} // 0,
              ago(-($o{due_in} // 0)),
              defined $o{delivered_ago} ? ago($o{delivered_ago}) : undef,
              $o{error}, ago($o{ago} // 0));
    my ($id) = dbh()->selectrow_array(
        'SELECT id FROM charon_alert_delivery WHERE event_id = ? AND '
      . 'channel = ?', undef, $event, $channel);
    return $id;
}

# seed_attempt($delivery_id, $result, ago => 0, status => undef,
#              error => undef)
sub seed_attempt {
    my ($delivery, $result, %o) = @_;
    dbh()->do('INSERT INTO charon_alert_attempt (delivery_id, at, result, '
            . 'status, error, ms) VALUES (?, ?, ?, ?, ?, ?)', undef,
              $delivery, ago($o{ago} // 0), $result, $o{status}, $o{error},
              $o{ms} // 10);
}

# seed_alert_state($cron_id, state => 'down', bad => 3, good => 0,
#                  changed_ago => 600, alerted_ago => 600)
sub seed_alert_state {
    my ($cron, %o) = @_;
    dbh()->do('DELETE FROM charon_cron_alert WHERE cron_id = ?', undef, $cron);
    dbh()->do('INSERT INTO charon_cron_alert (cron_id, state, bad_streak, '
            . 'good_streak, changed_at, alerted_at) VALUES (?, ?, ?, ?, ?, ?)',
              undef, $cron, $o{state} // 'down', $o{bad} // 0, $o{good} // 0,
              defined $o{changed_ago} ? ago($o{changed_ago}) : undef,
              defined $o{alerted_ago} ? ago($o{alerted_ago}) : undef);
}

# Every row of these channels and events (attempts, deliveries, the
# events, the channels' counters), child rows first: the test's own
# connection may not enforce the foreign keys (SQLite).
sub purge_alert_rows {
    my ($channels, $events) = @_;
    my $d = dbh();
    for my $c (@{ $channels || [] }) {
        $d->do('DELETE FROM charon_alert_attempt WHERE delivery_id IN '
             . '(SELECT id FROM charon_alert_delivery WHERE channel = ?)',
               undef, $c);
        $d->do('DELETE FROM charon_alert_delivery WHERE channel = ?', undef,
               $c);
        $d->do('DELETE FROM charon_alert_stats WHERE channel = ?', undef, $c);
    }
    for my $e (@{ $events || [] }) {
        $d->do('DELETE FROM charon_alert_attempt WHERE delivery_id IN '
             . '(SELECT id FROM charon_alert_delivery WHERE event_id = ?)',
               undef, $e);
        $d->do('DELETE FROM charon_alert_delivery WHERE event_id = ?', undef,
               $e);
        $d->do('DELETE FROM charon_alert_event WHERE id = ?', undef, $e);
    }
}

1;
