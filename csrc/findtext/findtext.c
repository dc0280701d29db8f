/* dualrel._findtext: the per-finding texts of a check made in bulk from its columns.
 *
 * A check at a million people makes about a hundred thousand findings, and each needs
 * three texts whatever holds it: its fingerprint (the sha256 of a canonical JSON text of
 * what it is about), its sort key's text and its text in the JSON report. Written in the
 * interpreter they were most of the time after evaluation; here each is one C loop over
 * the columns of dualrel.finding_table. Every text is the one the Python code it stands
 * for writes (dualrel.findings.fingerprint, dualrel.findings._ordered_text,
 * dualrel.report.json_report): the tests hold them to each other.
 *
 * Portable C99 against the stable parts of the CPython API; no other library.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>

#include <string.h>

#include "sha256.h"

/* -- a growing byte buffer ------------------------------------------------------------ */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} Buf;

static int buf_grow(Buf *b, size_t more)
{
    if (b->len + more <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more) {
        cap *= 2;
    }
    char *data = PyMem_Realloc(b->data, cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_put(Buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) < 0) {
        return -1;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

#define PUT_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

static const char HEX[] = "0123456789abcdef";

/* -- JSON strings ------------------------------------------------------------------------ */

/* a str as json.encoder.encode_basestring writes it (what pydantic writes too), in UTF-8:
 * '"' and '\\' escaped, control characters as \n, \r, \t, \b, \f or \u00XX; the rest as is */
static int put_quoted(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    if (p == NULL) {
        return -1;
    }
    /* at most six bytes per byte, and the quotes */
    if (buf_grow(b, (size_t)n * 6 + 2) < 0) {
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        *out++ = '\\';
        switch (c) {
        case '"': *out++ = '"'; break;
        case '\\': *out++ = '\\'; break;
        case '\n': *out++ = 'n'; break;
        case '\r': *out++ = 'r'; break;
        case '\t': *out++ = 't'; break;
        case '\b': *out++ = 'b'; break;
        case '\f': *out++ = 'f'; break;
        default:
            *out++ = 'u';
            *out++ = '0';
            *out++ = '0';
            *out++ = HEX[c >> 4];
            *out++ = HEX[c & 15];
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

static void put_u_escape(char **out, Py_UCS4 c)
{
    char *o = *out;
    *o++ = '\\';
    *o++ = 'u';
    *o++ = HEX[(c >> 12) & 15];
    *o++ = HEX[(c >> 8) & 15];
    *o++ = HEX[(c >> 4) & 15];
    *o++ = HEX[c & 15];
    *out = o;
}

/* a str as json.encoder.encode_basestring_ascii writes it: what json.dumps writes with
 * ensure_ascii (the fingerprint's text); a character past U+FFFF as a surrogate pair */
static int put_ascii_quoted(Buf *b, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (buf_grow(b, (size_t)n * 12 + 2) < 0) {
        return -1;
    }
    char *out = b->data + b->len;
    *out++ = '"';
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c <= '~' && c != '"' && c != '\\') {
            *out++ = (char)c;
            continue;
        }
        switch (c) {
        case '"': *out++ = '\\'; *out++ = '"'; break;
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        case '\b': *out++ = '\\'; *out++ = 'b'; break;
        case '\f': *out++ = '\\'; *out++ = 'f'; break;
        default:
            if (c >= 0x10000) {
                Py_UCS4 v = c - 0x10000;
                put_u_escape(&out, 0xd800 | ((v >> 10) & 0x3ff));
                put_u_escape(&out, 0xdc00 | (v & 0x3ff));
            } else {
                put_u_escape(&out, c);
            }
        }
    }
    *out++ = '"';
    b->len = (size_t)(out - b->data);
    return 0;
}

/* -- a finding's subjects, sorted by variable ------------------------------------------ */

typedef struct {
    PyObject *pairs[2 * 16]; /* key, value, ... */
    PyObject **items;        /* pairs, or a larger allocation */
    PyObject *mapping;       /* a dict made of a mapping that is not one (owned) */
    Py_ssize_t n;
} Subjects;

static void subjects_done(Subjects *s)
{
    if (s->items != s->pairs) {
        PyMem_Free(s->items);
    }
    Py_CLEAR(s->mapping);
}

/* the items of ``m`` (borrowed), sorted as sorted(m.items()) sorts them: by key, keys
 * being distinct; keys and values must be str */
static int subjects_of(Subjects *s, PyObject *m)
{
    s->items = s->pairs;
    s->mapping = NULL;
    s->n = 0;
    if (!PyDict_Check(m)) {
        s->mapping = PyDict_New();
        if (s->mapping == NULL || PyDict_Merge(s->mapping, m, 1) < 0) {
            return -1;
        }
        m = s->mapping;
    }
    Py_ssize_t n = PyDict_GET_SIZE(m);
    if (n > 16) {
        s->items = PyMem_Malloc(sizeof(PyObject *) * 2 * (size_t)n);
        if (s->items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    Py_ssize_t pos = 0, k = 0;
    PyObject *key, *value;
    while (PyDict_Next(m, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyUnicode_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "a finding's subjects must be str to str");
            return -1;
        }
        /* insertion sort: a finding names a few people */
        Py_ssize_t j = k;
        while (j > 0) {
            int cmp = PyUnicode_Compare(s->items[2 * (j - 1)], key);
            if (cmp == -1 && PyErr_Occurred()) {
                return -1;
            }
            if (cmp <= 0) {
                break;
            }
            s->items[2 * j] = s->items[2 * (j - 1)];
            s->items[2 * j + 1] = s->items[2 * (j - 1) + 1];
            j--;
        }
        s->items[2 * j] = key;
        s->items[2 * j + 1] = value;
        k++;
    }
    s->n = k;
    return 0;
}

/* -- fingerprints ------------------------------------------------------------------------- */

static int put_ascii_list(Buf *b, PyObject *seq)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of str");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        if (i && PUT_LIT(b, ",") < 0) {
            rc = -1;
            break;
        }
        rc = put_ascii_quoted(b, items[i]);
    }
    Py_DECREF(fast);
    return rc;
}

/* the fingerprint's text of one finding into ``b`` (see dualrel.findings.fingerprint) */
static int fingerprint_text(Buf *b, PyObject *prefix, PyObject *subjects, PyObject *evidence,
                            PyObject *records)
{
    Py_ssize_t plen;
    const char *p = PyUnicode_AsUTF8AndSize(prefix, &plen);
    if (p == NULL || buf_put(b, p, (size_t)plen) < 0) {
        return -1;
    }
    Subjects s;
    if (subjects_of(&s, subjects) < 0) {
        subjects_done(&s);
        return -1;
    }
    int rc = 0;
    for (Py_ssize_t i = 0; i < s.n && rc == 0; i++) {
        rc = (i && PUT_LIT(b, ",") < 0) || PUT_LIT(b, "[") < 0 ||
                     put_ascii_quoted(b, s.items[2 * i]) < 0 || PUT_LIT(b, ",") < 0 ||
                     put_ascii_quoted(b, s.items[2 * i + 1]) < 0 || PUT_LIT(b, "]") < 0
                 ? -1
                 : 0;
    }
    subjects_done(&s);
    if (rc < 0 || PUT_LIT(b, "],[") < 0 || put_ascii_list(b, evidence) < 0 ||
        PUT_LIT(b, "]") < 0) {
        return -1;
    }
    int some = PyObject_IsTrue(records);
    if (some < 0) {
        return -1;
    }
    if (some && (PUT_LIT(b, ",[") < 0 || put_ascii_list(b, records) < 0 || PUT_LIT(b, "]") < 0)) {
        return -1;
    }
    return PUT_LIT(b, "]");
}

static int check_column(PyObject *col, Py_ssize_t n, const char *name)
{
    if (!PyList_Check(col) || PyList_GET_SIZE(col) != n) {
        PyErr_Format(PyExc_ValueError, "%s: expected a list of %zd items", name, n);
        return -1;
    }
    return 0;
}

/* the index of a head, checked against the heads */
static int head_of(PyObject *rule, Py_ssize_t i, Py_ssize_t heads, Py_ssize_t *out)
{
    Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(rule, i));
    if (r == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (r < 0 || r >= heads) {
        PyErr_Format(PyExc_IndexError, "finding %zd: head %zd out of range", i, r);
        return -1;
    }
    *out = r;
    return 0;
}

PyDoc_STRVAR(fingerprints_doc,
             "fingerprints(prefixes, rule, subjects, evidence, records, /) -> list[str]\n\n"
             "Each finding's fingerprint: prefixes[rule[i]] is the text its rule's part "
             "starts it with.");

static PyObject *fingerprints(PyObject *self, PyObject *args)
{
    PyObject *prefixes, *rule, *subjects, *evidence, *records;
    if (!PyArg_ParseTuple(args, "O!O!OOO:fingerprints", &PyList_Type, &prefixes, &PyList_Type,
                          &rule, &subjects, &evidence, &records)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(rule);
    if (check_column(subjects, n, "subjects") < 0 || check_column(evidence, n, "evidence") < 0 ||
        check_column(records, n, "records") < 0) {
        return NULL;
    }
    Py_ssize_t heads = PyList_GET_SIZE(prefixes);
    for (Py_ssize_t h = 0; h < heads; h++) {
        if (!PyUnicode_Check(PyList_GET_ITEM(prefixes, h))) {
            PyErr_SetString(PyExc_TypeError, "prefixes must be str");
            return NULL;
        }
    }
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    Buf b = {NULL, 0, 0};
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r;
        b.len = 0;
        if (head_of(rule, i, heads, &r) < 0 ||
            fingerprint_text(&b, PyList_GET_ITEM(prefixes, r), PyList_GET_ITEM(subjects, i),
                             PyList_GET_ITEM(evidence, i), PyList_GET_ITEM(records, i)) < 0) {
            goto fail;
        }
        unsigned char digest[32];
        char hex[32];
        dualrel_sha256((const unsigned char *)b.data, b.len, digest);
        for (int k = 0; k < 16; k++) { /* the first 32 hex digits */
            hex[2 * k] = HEX[digest[k] >> 4];
            hex[2 * k + 1] = HEX[digest[k] & 15];
        }
        PyObject *text = PyUnicode_FromStringAndSize(hex, 32);
        if (text == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, text);
    }
    PyMem_Free(b.data);
    return out;
fail:
    PyMem_Free(b.data);
    Py_DECREF(out);
    return NULL;
}

/* -- sort texts --------------------------------------------------------------------------- */

typedef struct {
    Py_UCS4 *data;
    Py_ssize_t len;
    Py_ssize_t cap;
} Wide;

static int wide_grow(Wide *w, Py_ssize_t more)
{
    if (w->len + more <= w->cap) {
        return 0;
    }
    Py_ssize_t cap = w->cap ? w->cap : 128;
    while (cap < w->len + more) {
        cap *= 2;
    }
    Py_UCS4 *data = PyMem_Realloc(w->data, sizeof(Py_UCS4) * (size_t)cap);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    w->data = data;
    w->cap = cap;
    return 0;
}

/* one item of a sort text: a character below \x03 as \x02 and itself plus 2, then \x01 */
static int wide_item(Wide *w, PyObject *s)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %.80s", Py_TYPE(s)->tp_name);
        return -1;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (wide_grow(w, 2 * n + 1) < 0) {
        return -1;
    }
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    Py_UCS4 *out = w->data + w->len;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c < 3) {
            *out++ = 2;
            *out++ = c + 2;
        } else {
            *out++ = c;
        }
    }
    *out++ = 1;
    w->len = out - w->data;
    return 0;
}

static int wide_end(Wide *w)
{
    if (wide_grow(w, 1) < 0) {
        return -1;
    }
    w->data[w->len++] = 0;
    return 0;
}

static int wide_seq(Wide *w, PyObject *seq)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of str");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        rc = wide_item(w, items[i]);
    }
    Py_DECREF(fast);
    return rc < 0 ? -1 : wide_end(w);
}

PyDoc_STRVAR(ordered_texts_doc,
             "ordered_texts(subjects, evidence, records, rule=None, places=None, /)\n"
             "              -> list[str]\n\n"
             "Each finding's sort text (dualrel.findings._ordered_text); with rule and\n"
             "places, after the character chr(places[rule[i]]): the texts then order as\n"
             "(place, text) do.");

static PyObject *ordered_texts(PyObject *self, PyObject *args)
{
    PyObject *subjects, *evidence, *records, *rule = Py_None, *places = Py_None;
    if (!PyArg_ParseTuple(args, "O!OO|OO:ordered_texts", &PyList_Type, &subjects, &evidence,
                          &records, &rule, &places)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(subjects);
    if (check_column(evidence, n, "evidence") < 0 || check_column(records, n, "records") < 0) {
        return NULL;
    }
    int placed = rule != Py_None;
    if (placed && (check_column(rule, n, "rule") < 0 || !PyList_Check(places))) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "places: expected a list");
        }
        return NULL;
    }
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    Wide w = {NULL, 0, 0};
    for (Py_ssize_t i = 0; i < n; i++) {
        w.len = 0;
        if (placed) {
            Py_ssize_t r;
            if (head_of(rule, i, PyList_GET_SIZE(places), &r) < 0 || wide_grow(&w, 1) < 0) {
                goto fail;
            }
            long place = PyLong_AsLong(PyList_GET_ITEM(places, r));
            if (place == -1 && PyErr_Occurred()) {
                goto fail;
            }
            if (place < 0 || place > 0x10ffff) {
                PyErr_SetString(PyExc_ValueError, "a place is a code point");
                goto fail;
            }
            w.data[w.len++] = (Py_UCS4)place;
        }
        Subjects s;
        if (subjects_of(&s, PyList_GET_ITEM(subjects, i)) < 0) {
            subjects_done(&s);
            goto fail;
        }
        int rc = 0;
        for (Py_ssize_t k = 0; k < 2 * s.n && rc == 0; k++) {
            rc = wide_item(&w, s.items[k]);
        }
        subjects_done(&s);
        if (rc < 0 || wide_end(&w) < 0 || wide_seq(&w, PyList_GET_ITEM(evidence, i)) < 0 ||
            wide_seq(&w, PyList_GET_ITEM(records, i)) < 0) {
            goto fail;
        }
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, w.data, w.len);
        if (text == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, text);
    }
    PyMem_Free(w.data);
    return out;
fail:
    PyMem_Free(w.data);
    Py_DECREF(out);
    return NULL;
}

/* -- the JSON report's findings ---------------------------------------------------------- */

/* names of EvidenceTie's fields, interned at import */
static PyObject *S_id, *S_kind, *S_source, *S_target, *S_directed, *S_start, *S_end, *S_file,
    *S_line, *S_pointer, *S_isoformat;

static int put_text(Buf *b, PyObject *s)
{
    Py_ssize_t n;
    const char *p = PyUnicode_AsUTF8AndSize(s, &n);
    return p == NULL ? -1 : buf_put(b, p, (size_t)n);
}

/* a date (or None) as the report writes it: null or "YYYY-MM-DD" */
static int put_day(Buf *b, PyObject *d)
{
    if (d == Py_None) {
        return PUT_LIT(b, "null");
    }
    if (PyDate_CheckExact(d)) { /* a year is 1 to 9999: four digits, as isoformat */
        int y = PyDateTime_GET_YEAR(d), m = PyDateTime_GET_MONTH(d), day = PyDateTime_GET_DAY(d);
        char text[12] = {'"', (char)('0' + y / 1000), (char)('0' + y / 100 % 10),
                         (char)('0' + y / 10 % 10), (char)('0' + y % 10), '-',
                         (char)('0' + m / 10), (char)('0' + m % 10), '-',
                         (char)('0' + day / 10), (char)('0' + day % 10), '"'};
        return buf_put(b, text, sizeof text);
    }
    PyObject *iso = PyObject_CallMethodNoArgs(d, S_isoformat);
    if (iso == NULL) {
        return -1;
    }
    int rc = PUT_LIT(b, "\"") < 0 || put_text(b, iso) < 0 || PUT_LIT(b, "\"") < 0 ? -1 : 0;
    Py_DECREF(iso);
    return rc;
}

static int put_maybe(Buf *b, PyObject *s)
{
    return s == Py_None ? PUT_LIT(b, "null") : put_quoted(b, s);
}

/* json_report._Writer._tie: one cited tie */
static int put_tie(Buf *b, PyObject *t)
{
    PyObject *v[10] = {NULL};
    PyObject *names[10] = {S_id,  S_kind, S_source, S_target, S_directed,
                           S_start, S_end, S_file, S_line, S_pointer};
    int rc = -1;
    for (int i = 0; i < 10; i++) {
        v[i] = PyObject_GetAttr(t, names[i]);
        if (v[i] == NULL) {
            goto done;
        }
    }
    int directed = PyObject_IsTrue(v[4]);
    int located = PyObject_IsTrue(v[7]);
    if (directed < 0 || located < 0) {
        goto done;
    }
    if (PUT_LIT(b, "{\n          \"id\": ") < 0 || put_quoted(b, v[0]) < 0 ||
        PUT_LIT(b, ",\n          \"kind\": ") < 0 || put_quoted(b, v[1]) < 0 ||
        PUT_LIT(b, ",\n          \"source\": ") < 0 || put_quoted(b, v[2]) < 0 ||
        PUT_LIT(b, ",\n          \"target\": ") < 0 || put_quoted(b, v[3]) < 0 ||
        PUT_LIT(b, ",\n          \"directed\": ") < 0 ||
        (directed ? PUT_LIT(b, "true") : PUT_LIT(b, "false")) < 0 ||
        PUT_LIT(b, ",\n          \"start\": ") < 0 || put_day(b, v[5]) < 0 ||
        PUT_LIT(b, ",\n          \"end\": ") < 0 || put_day(b, v[6]) < 0 ||
        PUT_LIT(b, ",\n          \"location\": ") < 0) {
        goto done;
    }
    if (!located) {
        if (PUT_LIT(b, "null") < 0) {
            goto done;
        }
    } else {
        if (PUT_LIT(b, "{\n            \"file\": ") < 0 || put_quoted(b, v[7]) < 0 ||
            PUT_LIT(b, ",\n            \"line\": ") < 0) {
            goto done;
        }
        if (v[8] == Py_None) {
            if (PUT_LIT(b, "null") < 0) {
                goto done;
            }
        } else {
            PyObject *line = PyObject_Format(v[8], NULL);
            if (line == NULL) {
                goto done;
            }
            int bad = put_text(b, line);
            Py_DECREF(line);
            if (bad < 0) {
                goto done;
            }
        }
        if (PUT_LIT(b, ",\n            \"pointer\": ") < 0 || put_maybe(b, v[9]) < 0 ||
            PUT_LIT(b, "\n          }") < 0) {
            goto done;
        }
    }
    rc = PUT_LIT(b, "\n        }");
done:
    for (int i = 0; i < 10; i++) {
        Py_XDECREF(v[i]);
    }
    return rc;
}

/* a list of strings as the value of a finding's key (json_report._strings) */
static int put_strings(Buf *b, PyObject *seq)
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence of str");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    int rc = 0;
    if (n == 0) {
        rc = PUT_LIT(b, "[]");
    } else {
        rc = PUT_LIT(b, "[\n        ");
        for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
            rc = (i && PUT_LIT(b, ",\n        ") < 0) || put_quoted(b, items[i]) < 0 ? -1 : 0;
        }
        if (rc == 0) {
            rc = PUT_LIT(b, "\n      ]");
        }
    }
    Py_DECREF(fast);
    return rc;
}

/* json_report._Writer._step: one remediation step */
static PyObject *S_action, *S_within_days, *S_due, *S_owner, *S_assignee, *S_unassigned_reason;

static int put_step(Buf *b, PyObject *step)
{
    PyObject *v[6] = {NULL};
    PyObject *names[6] = {S_action, S_within_days, S_due, S_owner, S_assignee,
                          S_unassigned_reason};
    PyObject *days = NULL;
    int rc = -1;
    for (int i = 0; i < 6; i++) {
        v[i] = PyObject_GetAttr(step, names[i]);
        if (v[i] == NULL) {
            goto done;
        }
    }
    days = PyObject_Format(v[1], NULL);
    if (days == NULL || PUT_LIT(b, "{\n          \"action\": ") < 0 || put_quoted(b, v[0]) < 0 ||
        PUT_LIT(b, ",\n          \"within_days\": ") < 0 || put_text(b, days) < 0 ||
        PUT_LIT(b, ",\n          \"due\": ") < 0 || put_day(b, v[2]) < 0 ||
        PUT_LIT(b, ",\n          \"owner\": ") < 0 || put_quoted(b, v[3]) < 0 ||
        PUT_LIT(b, ",\n          \"assignee\": ") < 0 || put_maybe(b, v[4]) < 0 ||
        PUT_LIT(b, ",\n          \"unassigned_reason\": ") < 0 || put_maybe(b, v[5]) < 0) {
        goto done;
    }
    rc = PUT_LIT(b, "\n        }");
done:
    Py_XDECREF(days);
    for (int i = 0; i < 6; i++) {
        Py_XDECREF(v[i]);
    }
    return rc;
}

/* a list of objects (ties, steps) as the value of a finding's key (json_report._items) */
static int put_objects(Buf *b, PyObject *seq, int (*put)(Buf *, PyObject *))
{
    PyObject *fast = PySequence_Fast(seq, "expected a sequence");
    if (fast == NULL) {
        return -1;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    int rc = 0;
    if (n == 0) {
        rc = PUT_LIT(b, "[]");
    } else {
        rc = PUT_LIT(b, "[\n        ");
        for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
            rc = (i && PUT_LIT(b, ",\n        ") < 0) || put(b, items[i]) < 0 ? -1 : 0;
        }
        if (rc == 0) {
            rc = PUT_LIT(b, "\n      ]");
        }
    }
    Py_DECREF(fast);
    return rc;
}

static int put_people(Buf *b, PyObject *subjects)
{
    Subjects s;
    if (subjects_of(&s, subjects) < 0) {
        subjects_done(&s);
        return -1;
    }
    int rc = 0;
    if (s.n == 0) {
        rc = PUT_LIT(b, "{}");
    } else {
        rc = PUT_LIT(b, "{\n        ");
        for (Py_ssize_t i = 0; i < s.n && rc == 0; i++) {
            rc = (i && PUT_LIT(b, ",\n        ") < 0) || put_quoted(b, s.items[2 * i]) < 0 ||
                         PUT_LIT(b, ": ") < 0 || put_quoted(b, s.items[2 * i + 1]) < 0
                     ? -1
                     : 0;
        }
        if (rc == 0) {
            rc = PUT_LIT(b, "\n      }");
        }
    }
    subjects_done(&s);
    return rc;
}

/* the columns of finding_texts, in its order after start and stop */
enum {
    C_HEADS, C_CITATIONS, C_RULE, C_SUBJECTS, C_EVIDENCE, C_RECORDS, C_REMEDIATION,
    C_FINGERPRINT, C_STATUS, C_DESCRIPTION, C_TIES, C_TAILS, C_COUNT
};

static const char *const COLUMN_NAMES[C_COUNT] = {
    "heads", "citations", "rule", "subjects", "evidence", "records", "remediation",
    "fingerprint", "status", "description", "ties", "tails"};

/* a finding's steps: the text of each tuple of them written once (a coach's findings of
 * one rule share it), kept in ``steps`` by the tuple's address while the columns hold it */
static int put_steps(Buf *b, PyObject *tuple, PyObject *steps)
{
    PyObject *key = PyLong_FromVoidPtr(tuple);
    if (key == NULL) {
        return -1;
    }
    PyObject *text = PyDict_GetItemWithError(steps, key);
    if (text != NULL) {
        Py_DECREF(key);
        return buf_put(b, PyBytes_AS_STRING(text), (size_t)PyBytes_GET_SIZE(text));
    }
    size_t start = b->len;
    int rc = -1;
    if (!PyErr_Occurred() && put_objects(b, tuple, put_step) == 0) {
        text = PyBytes_FromStringAndSize(b->data + start, (Py_ssize_t)(b->len - start));
        if (text != NULL) {
            rc = PyDict_SetItem(steps, key, text);
            Py_DECREF(text);
        }
    }
    Py_DECREF(key);
    return rc;
}

static int finding_text(Buf *b, PyObject *const *col, Py_ssize_t i, Py_ssize_t heads,
                        PyObject *steps)
{
    Py_ssize_t r;
    if (head_of(col[C_RULE], i, heads, &r) < 0 || put_text(b, PyList_GET_ITEM(col[C_HEADS], r)) < 0 ||
        put_people(b, PyList_GET_ITEM(col[C_SUBJECTS], i)) < 0 ||
        PUT_LIT(b, ",\n      \"evidence\": ") < 0 ||
        put_strings(b, PyList_GET_ITEM(col[C_EVIDENCE], i)) < 0 ||
        PUT_LIT(b, ",\n      \"records\": ") < 0 ||
        put_strings(b, PyList_GET_ITEM(col[C_RECORDS], i)) < 0 ||
        PUT_LIT(b, ",\n      \"citations\": ") < 0 ||
        put_text(b, PyList_GET_ITEM(col[C_CITATIONS], r)) < 0 ||
        PUT_LIT(b, ",\n      \"remediation\": ") < 0 ||
        put_steps(b, PyList_GET_ITEM(col[C_REMEDIATION], i), steps) < 0 ||
        PUT_LIT(b, ",\n      \"fingerprint\": ") < 0 ||
        put_quoted(b, PyList_GET_ITEM(col[C_FINGERPRINT], i)) < 0 ||
        PUT_LIT(b, ",\n      \"status\": ") < 0 ||
        put_quoted(b, PyList_GET_ITEM(col[C_STATUS], i)) < 0 ||
        PUT_LIT(b, ",\n      \"description\": ") < 0) {
        return -1;
    }
    if (put_quoted(b, PyList_GET_ITEM(col[C_DESCRIPTION], i)) < 0 ||
        PUT_LIT(b, ",\n      \"evidence_ties\": ") < 0 ||
        put_objects(b, PyList_GET_ITEM(col[C_TIES], i), put_tie) < 0) {
        return -1;
    }
    PyObject *tail = PyList_GET_ITEM(col[C_TAILS], i);
    if (tail == Py_None) {
        return PUT_LIT(b, ",\n      \"waiver\": null,\n      \"names\": null\n    }");
    }
    return put_text(b, tail);
}

PyDoc_STRVAR(
    finding_texts_doc,
    "finding_texts(lead, steps, start, stop, heads, citations, rule, subjects, evidence,\n"
    "              records, remediation, fingerprint, status, description, ties, tails, /)\n"
    "              -> bytes\n\n"
    "The JSON report's text of the findings start to stop, joined as the findings list\n"
    "joins them, after lead. heads and citations are texts by head; remediation each\n"
    "finding's steps; tails the text from the waiver key on, None for the usual one.\n"
    "steps: a dict the texts of the steps are kept in between calls on the same columns.");

static PyObject *finding_texts(PyObject *self, PyObject *args)
{
    PyObject *lead, *steps;
    Py_ssize_t start, stop;
    PyObject *col[C_COUNT];
    if (!PyArg_ParseTuple(args, "O!O!nnOOOOOOOOOOOO:finding_texts", &PyBytes_Type, &lead,
                          &PyDict_Type, &steps, &start, &stop, &col[0], &col[1], &col[2], &col[3], &col[4], &col[5], &col[6],
                          &col[7], &col[8], &col[9], &col[10], &col[11])) {
        return NULL;
    }
    Py_ssize_t n = PyList_Check(col[C_RULE]) ? PyList_GET_SIZE(col[C_RULE]) : -1;
    for (int c = 0; c < C_COUNT; c++) {
        if (c == C_HEADS || c == C_CITATIONS) {
            if (!PyList_Check(col[c])) {
                PyErr_Format(PyExc_TypeError, "%s: expected a list", COLUMN_NAMES[c]);
                return NULL;
            }
        } else if (check_column(col[c], n, COLUMN_NAMES[c]) < 0) {
            return NULL;
        }
    }
    Py_ssize_t heads = PyList_GET_SIZE(col[C_HEADS]);
    if (PyList_GET_SIZE(col[C_CITATIONS]) != heads) {
        PyErr_SetString(PyExc_ValueError, "citations: one text per head");
        return NULL;
    }
    if (start < 0 || stop > n || start > stop) {
        PyErr_SetString(PyExc_IndexError, "start and stop out of range");
        return NULL;
    }
    Buf b = {NULL, 0, 0};
    if (buf_put(&b, PyBytes_AS_STRING(lead), (size_t)PyBytes_GET_SIZE(lead)) < 0) {
        goto fail;
    }
    for (Py_ssize_t i = start; i < stop; i++) {
        if ((i > start && PUT_LIT(&b, ",\n    ") < 0) || finding_text(&b, col, i, heads, steps) < 0) {
            goto fail;
        }
    }
    PyObject *out = PyBytes_FromStringAndSize(b.data, (Py_ssize_t)b.len);
    PyMem_Free(b.data);
    return out;
fail:
    PyMem_Free(b.data);
    return NULL;
}

/* -- columns of dicts and of looked-up values ------------------------------------------- */

PyDoc_STRVAR(dicts_doc,
             "dicts(pairs, /) -> list[dict]\n\n"
             "dict(p) for each p of the list pairs (each a sequence of key, value pairs).");

static PyObject *dicts(PyObject *self, PyObject *arg)
{
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "dicts: expected a list");
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(arg);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pairs = PyList_GET_ITEM(arg, i);
        PyObject *d = PyDict_New();
        if (d == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, d);
        int fast = PyTuple_CheckExact(pairs);
        for (Py_ssize_t k = 0; fast && k < PyTuple_GET_SIZE(pairs); k++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs, k);
            fast = PyTuple_CheckExact(pair) && PyTuple_GET_SIZE(pair) == 2;
        }
        if (!fast) { /* what dict() does with any other sequence of pairs */
            if (PyDict_MergeFromSeq2(d, pairs, 1) < 0) {
                goto fail;
            }
            continue;
        }
        for (Py_ssize_t k = 0; k < PyTuple_GET_SIZE(pairs); k++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs, k);
            if (PyDict_SetItem(d, PyTuple_GET_ITEM(pair, 0), PyTuple_GET_ITEM(pair, 1)) < 0) {
                goto fail;
            }
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(looked_up_doc,
             "looked_up(mapping, keys, /) -> list[tuple]\n\n"
             "For each sequence of keys in the list keys, the tuple of mapping's values\n"
             "(a dict) for those of its keys mapping has, in order.");

static PyObject *looked_up(PyObject *self, PyObject *args)
{
    PyObject *mapping, *keys;
    if (!PyArg_ParseTuple(args, "O!O!:looked_up", &PyDict_Type, &mapping, &PyList_Type, &keys)) {
        return NULL;
    }
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *fast = PySequence_Fast(PyList_GET_ITEM(keys, i), "expected sequences of keys");
        if (fast == NULL) {
            goto fail;
        }
        Py_ssize_t m = PySequence_Fast_GET_SIZE(fast);
        PyObject *found = PyTuple_New(m);
        Py_ssize_t k = 0;
        for (Py_ssize_t j = 0; found != NULL && j < m; j++) {
            PyObject *v = PyDict_GetItemWithError(mapping, PySequence_Fast_GET_ITEM(fast, j));
            if (v != NULL) {
                Py_INCREF(v);
                PyTuple_SET_ITEM(found, k++, v);
            } else if (PyErr_Occurred()) {
                Py_CLEAR(found);
            }
        }
        Py_DECREF(fast);
        if (found != NULL && k < m) { /* some key not there: the ones that are */
            PyObject *some = PyTuple_GetSlice(found, 0, k);
            Py_DECREF(found);
            found = some;
        }
        if (found == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, found);
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

PyDoc_STRVAR(attributes_doc,
             "attributes(objects, names, /) -> tuple[list, ...]\n\n"
             "For each name of the tuple names, the list of that attribute of each object of\n"
             "the list objects.");

static PyObject *attributes(PyObject *self, PyObject *args)
{
    PyObject *objects, *names;
    if (!PyArg_ParseTuple(args, "O!O!:attributes", &PyList_Type, &objects, &PyTuple_Type,
                          &names)) {
        return NULL;
    }
    Py_ssize_t k = PyTuple_GET_SIZE(names), n = PyList_GET_SIZE(objects);
    PyObject *out = PyTuple_New(k);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t j = 0; j < k; j++) {
        PyObject *column = PyList_New(n);
        if (column == NULL) {
            goto fail;
        }
        PyTuple_SET_ITEM(out, j, column);
    }
    for (Py_ssize_t i = 0; i < n; i++) { /* object by object: each read once from memory */
        PyObject *obj = PyList_GET_ITEM(objects, i);
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *v = PyObject_GetAttr(obj, PyTuple_GET_ITEM(names, j));
            if (v == NULL) {
                goto fail;
            }
            PyList_SET_ITEM(PyTuple_GET_ITEM(out, j), i, v);
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* -- objects of slotted classes ------------------------------------------------------ */

PyDoc_STRVAR(instances_doc,
             "instances(cls, slots, columns, /) -> list\n\n"
             "Objects of the slotted class cls, the i-th with each slot (a member descriptor\n"
             "of slots) set to its column's i-th value, as object.__setattr__ sets it: what a\n"
             "frozen dataclass's __init__ does, field by field, in the interpreter.");

static PyObject *instances(PyObject *self, PyObject *args)
{
    PyTypeObject *cls;
    PyObject *slots, *columns;
    if (!PyArg_ParseTuple(args, "O!O!O!:instances", &PyType_Type, &cls, &PyTuple_Type, &slots,
                          &PyTuple_Type, &columns)) {
        return NULL;
    }
    Py_ssize_t k = PyTuple_GET_SIZE(slots);
    if (PyTuple_GET_SIZE(columns) != k || k == 0) {
        PyErr_SetString(PyExc_ValueError, "one column per slot, at least one");
        return NULL;
    }
    Py_ssize_t n = PyList_Check(PyTuple_GET_ITEM(columns, 0))
                       ? PyList_GET_SIZE(PyTuple_GET_ITEM(columns, 0))
                       : -1;
    for (Py_ssize_t j = 0; j < k; j++) {
        if (!PyObject_TypeCheck(PyTuple_GET_ITEM(slots, j), &PyMemberDescr_Type)) {
            PyErr_SetString(PyExc_TypeError, "slots must be member descriptors");
            return NULL;
        }
        if (check_column(PyTuple_GET_ITEM(columns, j), n, "column") < 0) {
            return NULL;
        }
    }
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *obj = cls->tp_alloc(cls, 0);
        if (obj == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(out, i, obj);
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *slot = PyTuple_GET_ITEM(slots, j);
            PyObject *value = PyList_GET_ITEM(PyTuple_GET_ITEM(columns, j), i);
            if (Py_TYPE(slot)->tp_descr_set(slot, obj, value) < 0) {
                goto fail;
            }
        }
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* -- the module ---------------------------------------------------------------------------- */

static PyMethodDef methods[] = {
    {"fingerprints", fingerprints, METH_VARARGS, fingerprints_doc},
    {"ordered_texts", ordered_texts, METH_VARARGS, ordered_texts_doc},
    {"finding_texts", finding_texts, METH_VARARGS, finding_texts_doc},
    {"instances", instances, METH_VARARGS, instances_doc},
    {"dicts", dicts, METH_O, dicts_doc},
    {"attributes", attributes, METH_VARARGS, attributes_doc},
    {"looked_up", looked_up, METH_VARARGS, looked_up_doc},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "dualrel._findtext",
    "The per-finding texts of a check made in bulk from its columns.", -1, methods};

PyMODINIT_FUNC PyInit__findtext(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return NULL;
    }
    struct {
        PyObject **slot;
        const char *name;
    } names[] = {{&S_id, "id"},         {&S_kind, "kind"},     {&S_source, "source"},
                 {&S_target, "target"}, {&S_directed, "directed"}, {&S_start, "start"},
                 {&S_end, "end"},       {&S_file, "file"},     {&S_line, "line"},
                 {&S_pointer, "pointer"}, {&S_isoformat, "isoformat"},
                 {&S_action, "action"}, {&S_within_days, "within_days"}, {&S_due, "due"},
                 {&S_owner, "owner"}, {&S_assignee, "assignee"},
                 {&S_unassigned_reason, "unassigned_reason"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (*names[i].slot == NULL) {
            *names[i].slot = PyUnicode_InternFromString(names[i].name);
            if (*names[i].slot == NULL) {
                return NULL;
            }
        }
    }
    return PyModule_Create(&module);
}
