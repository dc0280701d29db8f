/* dualrel._findtext, the findings' keys: fingerprints (the sha256 of a canonical JSON
 * text of what a finding is about, dualrel.findings.fingerprint) and sort texts
 * (dualrel.findings._ordered_text), one C loop over the columns each. */
#include "findtext.h"
#include "sha256.h"
#include "text.h"

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

const char ft_fingerprints_doc[] =
             "fingerprints(prefixes, rule, subjects, evidence, records, /) -> list[str]\n\n"
             "Each finding's fingerprint: prefixes[rule[i]] is the text its rule's part "
             "starts it with.";

PyObject *ft_fingerprints(PyObject *self, PyObject *args)
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

const char ft_ordered_texts_doc[] =
             "ordered_texts(subjects, evidence, records, rule=None, places=None, /)\n"
             "              -> list[str]\n\n"
             "Each finding's sort text (dualrel.findings._ordered_text); with rule and\n"
             "places, after the character chr(places[rule[i]]): the texts then order as\n"
             "(place, text) do.";

PyObject *ft_ordered_texts(PyObject *self, PyObject *args)
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
