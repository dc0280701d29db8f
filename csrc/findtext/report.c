/* dualrel._findtext, the JSON report's findings: each batch written as
 * dualrel.report.json_report writes it (pydantic's text), straight to UTF-8 bytes from
 * the columns of dualrel.finding_table. */
#include "findtext.h"
#include "text.h"

#include <datetime.h>

/* -- the JSON report's findings ---------------------------------------------------------- */

/* names of EvidenceTie's fields, interned at import */
static PyObject *S_id, *S_kind, *S_source, *S_target, *S_directed, *S_start, *S_end, *S_file,
    *S_line, *S_pointer, *S_isoformat;

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

/* a list of strings as the value of a finding's key (json_report._strings) */
static int put_strings(Buf *b, PyObject *seq)
{
    return put_objects(b, seq, put_quoted);
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

const char ft_finding_texts_doc[] =
    "finding_texts(lead, steps, start, stop, heads, citations, rule, subjects, evidence,\n"
    "              records, remediation, fingerprint, status, description, ties, tails, /)\n"
    "              -> bytes\n\n"
    "The JSON report's text of the findings start to stop, joined as the findings list\n"
    "joins them, after lead. heads and citations are texts by head; remediation each\n"
    "finding's steps; tails the text from the waiver key on, None for the usual one.\n"
    "steps: a dict the texts of the steps are kept in between calls on the same columns.";

PyObject *ft_finding_texts(PyObject *self, PyObject *args)
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

int ft_report_init(void)
{
    PyDateTime_IMPORT;
    if (PyDateTimeAPI == NULL) {
        return -1;
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
                return -1;
            }
        }
    }
    return 0;
}
