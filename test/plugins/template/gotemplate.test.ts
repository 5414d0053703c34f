/**
 * The Go text/template subset: what CoreDNS template Corefiles write (`{{ .Name }}`, `{{ index
 * .Match 1 }}`, `{{ .Group.name }}`, `{{ .Remote }}`, parseInt, pipelines), Go's evaluation rules
 * and Go's error texts (CoreDNS's template_test.go checks one of them word for word).
 */
import { describe, expect, it } from 'vitest';
import { GoTemplate } from '../../../src/plugins/template/gotemplate/exec.ts';
import { GoStruct } from '../../../src/plugins/template/gotemplate/values.ts';
import { TEMPLATE_FUNCS } from '../../../src/plugins/template/setup.ts';

const data = new GoStruct('*template.templateData', {
  Name: 'ip-10-95-12-8.example.', Zone: 'example.', Class: 'IN', Type: 'A', Remote: '10.240.0.1',
  Match: ['ip-10-95-12-8.example.', '', '95', '12', '8'],
  Group: new Map([['0', 'ip-10-95-12-8.example.'], ['b', '95'], ['c', '12'], ['d', '8']]),
}, { Meta: () => '' });

const run = (src: string) => new GoTemplate('answer', src, TEMPLATE_FUNCS).execute(data);

describe('Go templates', () => {
  it.each([
    ['{{ .Name }} 60 IN A 10.{{ .Group.b }}.{{ .Group.c }}.{{ .Group.d }}', 'ip-10-95-12-8.example. 60 IN A 10.95.12.8'],
    ['{{ .Name }} 60 IN A {{ index .Match 2 }}.{{ index .Match 3 }}.0.1', 'ip-10-95-12-8.example. 60 IN A 95.12.0.1'],
    ['{{ .Name }} 60 IN TXT "{{ .Remote }}"', 'ip-10-95-12-8.example. 60 IN TXT "10.240.0.1"'],
    ['{{ .Group.missing }}', '<no value>'],                               // a missing map key, as Go prints it
    ['{{ index .Group "missing" }}', ''],                                 // index gives the zero value
    ['{{ parseInt "ff" 16 8 }}.{{ parseInt "0x10" 0 64 }}', '255.16'],
    ['{{ .Group.b | printf "%s-%s" .Zone }}', 'example.-95'],
    ['{{ if eq .Type "A" }}a{{ else if eq .Type "AAAA" }}aaaa{{ else }}other{{ end }}', 'a'],
    ['{{ range $i, $m := .Match }}{{ if $i }},{{ end }}{{ $m }}{{ end }}', 'ip-10-95-12-8.example.,,95,12,8'],
    ['{{ $z := .Zone }}{{ with .Group.b }}{{ . }}.{{ $z }}{{ end }}', '95.example.'],
    ['{{ len .Match }} {{ and .Name "x" }} {{ or "" .Zone }} {{ not .Remote }}', '5 x example. false'],
    ['{{- .Zone -}}   {{/* a comment */}} x', 'example. x'],
    ['{{ .Zone }}   {{- /* trimmed both sides */ -}}   x', 'example.x'],
    ['{{ printf "%03d|%-4s|%x|%q" 7 "ab" 255 "q" }}', '007|ab  |ff|"q"'],
    ['{{ .Meta "kubernetes/client-namespace" }}', ''],
    ['{{ slice .Name 0 2 }} {{ index .Name 0 }}', 'ip 105'],
  ])('%s', (src, want) => {
    expect(run(src)).toBe(want);
  });

  it('errors as Go does (CoreDNS TestHandler BrokenTemplate)', () => {
    expect(() => run('{{ .Name }} 60 IN TXT "{{ index .Match 5 }}"'))
      .toThrow('template: answer:1:26: executing "answer" at <index .Match 5>: error calling index: index out of range: 5');
    expect(() => run('{{ .Nope }}')).toThrow('template: answer:1:3: executing "answer" at <.Nope>: can\'t evaluate field Nope in type *template.templateData');
    expect(() => run('{{ parseInt "zz" 16 8 }}')).toThrow('error calling parseInt: strconv.ParseUint: parsing "zz": invalid syntax');
    expect(() => run('{{ parseInt "300" 10 8 }}')).toThrow('strconv.ParseUint: parsing "300": value out of range');
    expect(() => run('{{ eq .Name 1 }}')).toThrow('incompatible types for comparison');
  });

  it('refuses at parse time what Go refuses: unknown functions, unclosed actions, missing end', () => {
    expect(() => run('{{ nope .Name }}')).toThrow('template: answer:1: function "nope" not defined');
    expect(() => run('{{ .Name ')).toThrow('unclosed action');
    expect(() => run('{{ if .Name }}x')).toThrow('unexpected EOF');
    expect(() => run('{{ template "x" }}')).toThrow('not supported');
  });

  it('prints its parse tree as Go does (the `template` label of the failure metrics)', () => {
    const t = new GoTemplate('answer', '{{ .Name }} 60 IN TXT "{{ index .Match 2 }}" {{- if .Zone }} z{{ end }}', TEMPLATE_FUNCS);
    expect(t.toString()).toBe('{{.Name}} 60 IN TXT "{{index .Match 2}}"{{if .Zone}} z{{end}}');
  });
});
