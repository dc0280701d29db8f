/* dualrel._findtext, the columns around the texts: dicts of pairs, values looked up,
 * attributes read, and objects of frozen slotted dataclasses made, each in one C loop. */
#include "findtext.h"
#include "text.h"

/* -- columns of dicts and of looked-up values ------------------------------------------- */

const char ft_dicts_doc[] =
             "dicts(pairs, /) -> list[dict]\n\n"
             "dict(p) for each p of the list pairs (each a sequence of key, value pairs).";

PyObject *ft_dicts(PyObject *self, PyObject *arg)
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

const char ft_looked_up_doc[] =
             "looked_up(mapping, keys, /) -> list[tuple]\n\n"
             "For each sequence of keys in the list keys, the tuple of mapping's values\n"
             "(a dict) for those of its keys mapping has, in order.";

PyObject *ft_looked_up(PyObject *self, PyObject *args)
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

const char ft_attributes_doc[] =
             "attributes(objects, names, /) -> tuple[list, ...]\n\n"
             "For each name of the tuple names, the list of that attribute of each object of\n"
             "the list objects.";

PyObject *ft_attributes(PyObject *self, PyObject *args)
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

const char ft_instances_doc[] =
             "instances(cls, slots, columns, /) -> list\n\n"
             "Objects of the slotted class cls, the i-th with each slot (a member descriptor\n"
             "of slots) set to its column's i-th value, as object.__setattr__ sets it: what a\n"
             "frozen dataclass's __init__ does, field by field, in the interpreter.";

PyObject *ft_instances(PyObject *self, PyObject *args)
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
