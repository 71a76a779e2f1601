# POST {mount}{execution id}/end
use strict;
use warnings;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/lib";
use CharonTest;

my $cron = seed_cron('end-cron', 1);
sub fresh { start_exec($cron) // 0 }

my @not_object = (
    ['{',                                         'truncated JSON'],
    ['not json',                                  'not JSON at all'],
    ['[]',                                        'an empty array'],
    ['[{"type":"info","success":true}]',          'an array holding an object'],
    ['"x"',                                       'a string'],
    ['1',                                         'a number'],
    ['null',                                      'null'],
    ['true',                                      'true'],
    ['',                                          'an empty body'],
    ['{"type":"info","success":true} x',          'an object then garbage'],
    ['{"type":"info","success":true}{}',          'two objects'],
    ["{'type':'info','success':true}",            'single-quoted pseudo-JSON'],
    ['type=info&success=true',                    'a form-encoded body'],
);

my @bad_type = (
    [undef,        'missing'],
    [1,            'a number'],
    ['INFO',       'upper case'],
    ['Info',       'capitalised'],
    ['debug',      'not one of the four'],
    [JSON::null,   'null'],
    ['',           'empty'],
    [['info'],     'an array'],
    [' info',      'with a leading space'],
    ['info ',      'with a trailing space'],
    [JSON::true,   'true'],
);

my @good_success = (
    [JSON::true,  1, 'true'],
    [JSON::false, 0, 'false'],
    [1,           1, '1'],
    [0,           0, '0'],
    ['true',      1, '"true"'],
    ['false',     0, '"false"'],
    ['1',         1, '"1"'],
    ['0',         0, '"0"'],
);

my @bad_success = (
    [undef,       'missing'],
    [2,           '2'],
    [-1,          '-1'],
    [1.5,         '1.5'],
    ['yes',       '"yes"'],
    ['no',        '"no"'],
    ['TRUE',      '"TRUE"'],
    ['True',      '"True"'],
    ['',          '""'],
    ['01',        '"01"'],
    [' 1',        '" 1"'],
    [JSON::null,  'null'],
    [[],          '[]'],
    [{},          '{}'],
);

my @bad_message = (
    [5,              'a number'],
    [JSON::true,     'true'],
    [['x'],          'an array'],
    [{ a => 1 },     'an object'],
);

my @ctypes = (
    ['application/x-www-form-urlencoded', 'a form type (curl -d)'],
    ['text/plain',                         'text/plain'],
    [undef,                                'no Content-Type'],
    ['application/json; charset=utf-8',    'application/json with charset'],
);

plan tests => 5 + 4 + 3 + 2 + @not_object + 2 + @bad_type + 1
    + 2 * @good_success + @bad_success + 1 + @bad_message + 3 + 2
    + 8 + @ctypes + 1 + 2 + 1;

my @id = (keys => ['id']);

# ---- end a running execution (5)
my $E = fresh();
my $res = req(POST => "/api/$E/end", key => KEY_CLEAR,
              json => { type => 'success', success => JSON::true });
ok_json($res, 'end: 200 {"id": N}', @id, numbers => ['id'], fields => { id => $E });
my $row = execution($E);
ok($row && ts_recent($row->{ended_at})
   && ts_epoch($row->{ended_at}) >= ts_epoch($row->{started_at}),
   'ended_at set, now, UTC, not before started_at') or diag explain $row;
is($row && 0 + $row->{success}, 1, 'success stored as true');
is($row && $row->{type}, 'success', 'type stored');
is(count_messages($E), 0, 'no message stored when the body has none');

# ---- exactly once: 409, stored end unchanged (4)
my $before = execution($E);
ok_problem(req(POST => "/api/$E/end", key => KEY_CLEAR,
               json => { type => 'success', success => JSON::true }), 409,
           'second end, same body: 409');
is_deeply(execution($E), $before, 'stored end unchanged');
ok_problem(req(POST => "/api/$E/end", key => KEY_CLEAR,
               json => { type => 'error', success => JSON::false,
                         message => 'too late' }), 409,
           'second end, another body with a message: 409');
ok(eq_hash(execution($E), $before) && count_messages($E) == 0,
   'stored end unchanged, and the message of the refused end not stored')
    or diag explain [execution($E), messages_of($E)];

# ---- end with a message (3)
my $E2 = fresh();
my $text = "Backup done: 42 files, 0 errors";
ok_json(req(POST => "/api/$E2/end", key => KEY_CLEAR,
            json => { message => $text, type => 'warning', success => JSON::false }),
        'end with a message: 200', @id, fields => { id => $E2 });
$row = execution($E2);
ok($row && $row->{type} eq 'warning' && 0 + $row->{success} == 0
   && defined $row->{ended_at}, 'end stored (warning, false)')
    or diag explain $row;
my $m = messages_of($E2);
ok(@$m == 1 && $m->[0]{execution_id} == $E2 && $m->[0]{type} eq 'warning'
   && $m->[0]{message} eq $text && defined $m->[0]{created_at},
   "the end's message is stored as a message of the execution, with the end's type")
    or diag explain $m;

# ---- unknown execution (2)
my $absent = max_execution_id() + 1000000;
ok_problem(req(POST => "/api/$absent/end", key => KEY_CLEAR,
               json => { type => 'info', success => JSON::true }), 404,
           'end of an unknown execution: 404');
ok(!execution($absent), 'no row created for it');

# ---- body not a JSON object: 400 (@not_object + 2)
my $E4 = fresh();
for my $b (@not_object) {
    ok_problem(req(POST => "/api/$E4/end", key => KEY_CLEAR, body => $b->[0]),
               400, "body is $b->[1]: 400");
}
$row = execution($E4);
ok($row && !defined $row->{ended_at} && count_messages($E4) == 0,
   'the execution is still running after the 400s') or diag explain $row;
ok_json(req(POST => "/api/$E4/end", key => KEY_CLEAR,
            json => { type => 'info', success => JSON::true }),
        'and can still be ended', @id, fields => { id => $E4 });

# ---- type: 422 naming "type" (@bad_type + 1)
my $E5 = fresh();
for my $t (@bad_type) {
    my %b = (success => JSON::true, message => 'x');
    $b{type} = $t->[0] if defined $t->[0];
    ok_problem(req(POST => "/api/$E5/end", key => KEY_CLEAR, json => \%b),
               422, "type $t->[1]: 422 field type", field => 'type');
}
$row = execution($E5);
ok($row && !defined $row->{ended_at} && count_messages($E5) == 0,
   'the execution is still running, no message stored') or diag explain $row;

# ---- success: accepted forms (2 * @good_success)
for my $s (@good_success) {
    my $x = fresh();
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR,
                json => { type => 'info', success => $s->[0] }),
            "success $s->[2]: 200", @id, fields => { id => $x });
    $row = execution($x);
    ok($row && defined $row->{success} && 0 + $row->{success} == $s->[1],
       "success $s->[2] stored as " . ($s->[1] ? 'true' : 'false'))
        or diag explain $row;
}

# ---- success: rejected (@bad_success + 1)
my $E6 = fresh();
for my $s (@bad_success) {
    my %b = (type => 'info');
    $b{success} = $s->[0] if defined $s->[0];
    ok_problem(req(POST => "/api/$E6/end", key => KEY_CLEAR, json => \%b),
               422, "success $s->[1]: 422 field success", field => 'success');
}
$row = execution($E6);
ok($row && !defined $row->{ended_at}, 'the execution is still running')
    or diag explain $row;

# ---- message of the wrong type (@bad_message + 3)
for my $x (@bad_message) {
    ok_problem(req(POST => "/api/$E6/end", key => KEY_CLEAR,
                   json => { type => 'info', success => JSON::true,
                             message => $x->[0] }),
               422, "message $x->[1]: 422 field message", field => 'message');
}
ok_problem(req(POST => "/api/$E6/end", key => KEY_CLEAR,
               body => qq({"type":"info","success":true,"message":"bad \xC3\x28 utf8"})),
           422, 'message with invalid UTF-8: 422 field message', field => 'message');
ok_problem(req(POST => "/api/$E6/end", key => KEY_CLEAR,
               body => '{"type":"info","success":true,"message":"nul \u0000 here"}'),
           422, 'message with \u0000: 422 field message', field => 'message');
$row = execution($E6);
ok($row && !defined $row->{ended_at} && count_messages($E6) == 0,
   'the execution is still running, no message stored') or diag explain $row;

# ---- unknown fields are ignored (2)
my $E7 = fresh();
ok_json(req(POST => "/api/$E7/end", key => KEY_CLEAR,
            body => '{"foo":1,"type":"error","bar":{"x":[1,2,{"y":null}]},'
                  . '"success":"0","id":999,"ended_at":"2000-01-01"}'),
        'unknown fields are ignored: 200', @id, fields => { id => $E7 });
$row = execution($E7);
ok($row && $row->{type} eq 'error' && 0 + $row->{success} == 0
   && ts_recent($row->{ended_at}), 'stored from the known fields only')
    or diag explain $row;

# ---- the four types (8)
for my $t (qw(warning info success error)) {
    my $x = fresh();
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR,
                json => { type => $t, success => JSON::true, message => "type $t" }),
            "type $t: 200", @id, fields => { id => $x });
    $row = execution($x);
    $m = messages_of($x);
    ok($row && $row->{type} eq $t && @$m == 1 && $m->[0]{type} eq $t,
       "type $t stored on the execution and its message")
        or diag explain [$row, $m];
}

# ---- the body is read whatever its Content-Type (@ctypes + 1)
my @ended;
for my $c (@ctypes) {
    my $x = fresh();
    push @ended, $x;
    ok_json(req(POST => "/api/$x/end", key => KEY_CLEAR, ctype => $c->[0],
                body => '{"type":"info","success":true}'),
            "end with $c->[1]: 200", @id, fields => { id => $x });
}
ok(!grep({ my $r = execution($_); !$r || !defined $r->{ended_at} } @ended),
   'all of them ended in the database');

# ---- UTF-8 message text stored exactly (2)
my $E8 = fresh();
my $utf8 = "Termin\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80 \xE6\x97\xA5\xE6\x9C\xAC";
ok_json(req(POST => "/api/$E8/end", key => KEY_CLEAR,
            body => qq({"type":"success","success":1,"message":"$utf8"})),
        'end with a UTF-8 message: 200', @id, fields => { id => $E8 });
$m = messages_of($E8);
ok(@$m == 1 && $m->[0]{message} eq $utf8, 'UTF-8 message stored byte for byte')
    or diag explain $m;

# ---- no secret echoed (1)
no_leak_ok();
