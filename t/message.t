# POST {mount}{execution id}/message
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

my $cron = seed_cron('msg-cron', 1);
sub fresh { start_exec($cron) // 0 }

# texts that must come back byte for byte (raw JSON string body, expected bytes)
my @exact = (
    ['"hello"', 'hello', 'plain ASCII'],
    ['"Sauvegarde termin\u00e9e \ud83d\ude00"', "Sauvegarde termin\xC3\xA9e \xF0\x9F\x98\x80",
     '\u escapes, with a surrogate pair'],
    [qq("Sauvegarde termin\xC3\xA9e \xE2\x9C\x93 \xF0\x9F\x98\x80"),
     "Sauvegarde termin\xC3\xA9e \xE2\x9C\x93 \xF0\x9F\x98\x80", 'raw UTF-8'],
    ['"line 1\nline 2\ttab \"quoted\" back\\\\slash \/ slash"',
     qq(line 1\nline 2\ttab "quoted" back\\slash / slash), 'escapes'],
    [q{"'); DROP TABLE charon_message; --"}, q{'); DROP TABLE charon_message; --},
     'SQL-looking text'],
    ['"100% sure: %s %d %n %%"', '100% sure: %s %d %n %%', 'printf-looking text'],
    ['""', '', 'an empty string'],
);

my @not_object = (
    ['{"message":"x","type":"info"',  'truncated JSON'],
    ['[]',                            'an array'],
    ['"hello"',                       'a string'],
    ['',                              'an empty body'],
    ['42',                            'a number'],
    ['message=x&type=info',           'a form-encoded body'],
);

my @bad = (
    [{ type => 'info' },                        'message', 'message missing'],
    [{ type => 'info', message => JSON::null }, 'message', 'message null'],
    [{ type => 'info', message => 7 },          'message', 'message a number'],
    [{ type => 'info', message => JSON::true }, 'message', 'message true'],
    [{ type => 'info', message => ['x'] },      'message', 'message an array'],
    [{ type => 'info', message => { a => 1 } }, 'message', 'message an object'],
    [{ message => 'x' },                        'type',    'type missing'],
    [{ message => 'x', type => 'notice' },      'type',    'type unknown'],
    [{ message => 'x', type => 'ERROR' },       'type',    'type in upper case'],
    [{ message => 'x', type => JSON::null },    'type',    'type null'],
    [{ message => 'x', type => 3 },             'type',    'type a number'],
);

my @bad_text = (
    [qq("bad \xC3\x28 utf8"),         'an invalid UTF-8 sequence (C3 28)'],
    [qq("lone \x80 continuation"),    'a lone continuation byte'],
    [qq("overlong \xC0\xAF slash"),   'an overlong encoding'],
    [qq("surrogate \xED\xA0\x80 raw"), 'a UTF-8 encoded surrogate'],
    [qq("beyond \xF4\x90\x80\x80 max"), 'a code point past U+10FFFF'],
    [qq("cut \xE2\x9C"),              'a truncated sequence'],
    ['"nul \u0000 here"',             'an escaped NUL (\u0000)'],
);

plan tests => 6 + 2 + 2 * @exact + 3 + @not_object + @bad + @bad_text + 1
    + 9 + 2 + 1 + 1;

my @id = (keys => ['id'], numbers => ['id']);

# ---- add a message to a running execution (6)
my $E = fresh();
my $d = ok_json(req(POST => "/api/$E/message", key => KEY_CLEAR,
                    json => { message => 'Starting backup', type => 'info' }),
                'message: 200 {"id": N}', @id);
my $m = messages_of($E);
is(scalar @$m, 1, 'one message row');
is($m->[0]{id}, $d->{id}, 'its id is the one answered');
ok($m->[0]{execution_id} == $E && $m->[0]{type} eq 'info'
   && $m->[0]{message} eq 'Starting backup', 'execution_id, type and text stored')
    or diag explain $m;
ok(ts_recent($m->[0]{created_at}), 'created_at set, now, UTC')
    or diag explain $m;
my $row = execution($E);
ok($row && !defined $row->{ended_at}, 'a message does not end the execution')
    or diag explain $row;

# ---- every type, ids increase (2)
my @ids = ($d->{id} // 0);
for my $t (qw(warning info success error)) {
    my $x = decode_body(req(POST => "/api/$E/message", key => KEY_CLEAR,
                            json => { message => "a $t", type => $t }));
    push @ids, ref $x eq 'HASH' ? $x->{id} // 0 : 0;
}
$m = messages_of($E);
is_deeply([map { "$_->{type}:$_->{message}" } @$m[1 .. $#$m]],
          [map { "$_:a $_" } qw(warning info success error)],
          'the four types stored, in order');
ok(!grep({ $ids[$_] <= $ids[$_ - 1] } 1 .. $#ids)
   && join(',', @ids) eq join(',', map { $_->{id} } @$m),
   'message ids increase and match the rows') or diag "@ids";

# ---- texts stored exactly (2 * @exact)
for my $x (@exact) {
    my ($json, $want, $what) = @$x;
    my $res = req(POST => "/api/$E/message", key => KEY_CLEAR,
                  body => qq({"type":"info","message":$json}));
    $d = ok_json($res, "message with $what: 200", @id);
    my ($r) = grep { $_->{id} == ($d->{id} // 0) } @{ messages_of($E) };
    ok($r && $r->{message} eq $want, "$what stored byte for byte")
        or diag explain $r;
}

# ---- on an ended execution, on an unknown one (3)
my $ended = fresh();
req(POST => "/api/$ended/end", key => KEY_CLEAR,
    json => { type => 'success', success => JSON::true });
$d = ok_json(req(POST => "/api/$ended/message", key => KEY_CLEAR,
                 json => { message => 'late log line', type => 'warning' }),
             'message on an ended execution: 200', @id);
$m = messages_of($ended);
ok(@$m == 1 && $m->[0]{message} eq 'late log line' && $m->[0]{id} == ($d->{id} // 0),
   'late message stored') or diag explain $m;
my $absent = max_execution_id() + 1000000;
ok_problem(req(POST => "/api/$absent/message", key => KEY_CLEAR,
               json => { message => 'x', type => 'info' }), 404,
           'message on an unknown execution: 404');

# ---- 400 / 422 (@not_object + @bad + @bad_text + 1)
my $E2 = fresh();
for my $b (@not_object) {
    ok_problem(req(POST => "/api/$E2/message", key => KEY_CLEAR, body => $b->[0]),
               400, "body is $b->[1]: 400");
}
for my $b (@bad) {
    ok_problem(req(POST => "/api/$E2/message", key => KEY_CLEAR, json => $b->[0]),
               422, "$b->[2]: 422 field $b->[1]", field => $b->[1]);
}
for my $b (@bad_text) {
    ok_problem(req(POST => "/api/$E2/message", key => KEY_CLEAR,
                   body => qq({"type":"info","message":$b->[0]})),
               422, "message with $b->[1]: 422 field message", field => 'message');
}
is(count_messages($E2), 0, 'no message stored by the refused requests');

# ---- CharonMaxMessageLength 100 in /small/, counted in bytes (9)
my $S = fresh();
my @small = (
    ['a' x 100,                200, '100 ASCII bytes'],
    ['a' x 101,                422, '101 ASCII bytes'],
    ["\xC3\xA9" x 50,          200, '50 two-byte characters (100 bytes)'],
    ["\xC3\xA9" x 51,          422, '51 two-byte characters (102 bytes)'],
    ["\xE2\x82\xAC" x 34,      422, '34 three-byte characters (102 bytes)'],
    ['a' . "\xF0\x9F\x98\x80" x 25, 422, '25 four-byte characters + 1 (101 bytes)'],
);
for my $x (@small) {
    my ($text, $status, $what) = @$x;
    my $res = req(POST => "/small/$S/message", key => KEY_SMALL,
                  body => qq({"type":"info","message":"$text"}));
    if ($status == 200) {
        ok_json($res, "/small/: message of $what: 200", @id);
    }
    else {
        ok_problem($res, 422, "/small/: message of $what: 422 field message",
                   field => 'message');
    }
}
$m = messages_of($S);
is_deeply([map { $_->{message} } @$m], ['a' x 100, "\xC3\xA9" x 50],
          'only the messages within the limit were stored');

# the limit applies to the message of end too
ok_problem(req(POST => "/small/$S/end", key => KEY_SMALL,
               json => { type => 'info', success => JSON::true, message => 'b' x 101 }),
           422, '/small/: end with a 101-byte message: 422 field message',
           field => 'message');
$row = execution($S);
ok($row && !defined $row->{ended_at} && count_messages($S) == 2,
   'the execution was not ended, no message added') or diag explain $row;

# ---- Content-Type ignored, unknown fields ignored (2)
$d = ok_json(req(POST => "/api/$E2/message", key => KEY_CLEAR,
                 ctype => 'application/x-www-form-urlencoded',
                 body => '{"message":"curl -d","type":"info","level":9,"tags":["a"]}'),
             'form Content-Type with a JSON body, unknown fields: 200', @id);
$m = messages_of($E2);
ok(@$m == 1 && $m->[0]{message} eq 'curl -d' && $m->[0]{type} eq 'info',
   'stored') or diag explain $m;

# ---- a raw NUL byte inside the string: refused, never stored truncated (1)
my $res = req(POST => "/api/$E2/message", key => KEY_CLEAR,
              body => qq({"type":"info","message":"before\0after"}));
my $pd = decode_body($res);
ok(($res->code == 400 || $res->code == 422) && ref $pd eq 'HASH'
   && ($pd->{status} // 0) == $res->code && count_messages($E2) == 1,
   'raw NUL byte in the message: 400 or 422, nothing stored')
    or diag $res->as_string, explain messages_of($E2);

# ---- no secret echoed (1)
no_leak_ok();
