/* sort_template.h — libstdc++'s std::sort, std::nth_element, std::partial_sort (and a stable merge sort)
 * transcribed step for step, included by kernels_sort.c once per order with SFX (the name suffix) and
 * BEFORE(a, b) ("*a goes before *b": torch's KeyValueCompAsc / KeyValueCompDesc) defined. */
#define F_(name) NBT_CAT(name##_, SFX)
#define THRESHOLD 16

/* ---- libstdc++ stl_heap.h ---- */
static void F_(push_heap)(elem *first, int64_t hole, int64_t top, elem value) {
    int64_t parent = (hole - 1) / 2;
    while (hole > top && BEFORE(first + parent, &value)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = value;
}
static void F_(adjust_heap)(elem *first, int64_t hole, int64_t len, elem value) {
    int64_t top = hole, child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (BEFORE(first + child, first + (child - 1))) child--;
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    F_(push_heap)(first, hole, top, value);
}
static void F_(make_heap)(elem *first, elem *last) {
    int64_t len = last - first;
    if (len < 2) return;
    for (int64_t parent = (len - 2) / 2;; parent--) {
        F_(adjust_heap)(first, parent, len, first[parent]);
        if (parent == 0) return;
    }
}
static void F_(pop_heap)(elem *first, elem *last, elem *result) {
    elem value = *result;
    *result = *first;
    F_(adjust_heap)(first, 0, last - first, value);
}
static void F_(heap_select)(elem *first, elem *middle, elem *last) {
    F_(make_heap)(first, middle);
    for (elem *i = middle; i < last; i++)
        if (BEFORE(i, first)) F_(pop_heap)(first, middle, i);
}
static void F_(sort_heap)(elem *first, elem *last) {
    while (last - first > 1) {
        --last;
        F_(pop_heap)(first, last, last);
    }
}
/* std::partial_sort */
static void F_(partial_sort)(elem *first, elem *middle, elem *last) {
    F_(heap_select)(first, middle, last);
    F_(sort_heap)(first, middle);
}

/* ---- libstdc++ stl_algo.h: insertion sort, introsort, introselect ---- */
static void F_(unguarded_linear_insert)(elem *last) {
    elem val = *last, *next = last - 1;
    while (BEFORE(&val, next)) {
        *last = *next;
        last = next;
        --next;
    }
    *last = val;
}
static void F_(insertion_sort)(elem *first, elem *last) {
    if (first == last) return;
    for (elem *i = first + 1; i != last; ++i) {
        if (BEFORE(i, first)) {
            elem val = *i;
            memmove(first + 1, first, (size_t)(i - first) * sizeof *first);
            *first = val;
        } else {
            F_(unguarded_linear_insert)(i);
        }
    }
}
static void F_(final_insertion_sort)(elem *first, elem *last) {
    if (last - first > THRESHOLD) {
        F_(insertion_sort)(first, first + THRESHOLD);
        for (elem *i = first + THRESHOLD; i != last; ++i) F_(unguarded_linear_insert)(i);
    } else {
        F_(insertion_sort)(first, last);
    }
}
static void F_(move_median_to_first)(elem *result, elem *a, elem *b, elem *cc) {
    if (BEFORE(a, b)) {
        if (BEFORE(b, cc))
            swap(result, b);
        else if (BEFORE(a, cc))
            swap(result, cc);
        else
            swap(result, a);
    } else if (BEFORE(a, cc))
        swap(result, a);
    else if (BEFORE(b, cc))
        swap(result, cc);
    else
        swap(result, b);
}
static elem *F_(unguarded_partition)(elem *first, elem *last, elem *pivot) {
    for (;;) {
        while (BEFORE(first, pivot)) ++first;
        --last;
        while (BEFORE(pivot, last)) --last;
        if (!(first < last)) return first;
        swap(first, last);
        ++first;
    }
}
static elem *F_(unguarded_partition_pivot)(elem *first, elem *last) {
    elem *mid = first + (last - first) / 2;
    F_(move_median_to_first)(first, first + 1, mid, last - 1);
    return F_(unguarded_partition)(first + 1, last, first);
}
static void F_(introsort_loop)(elem *first, elem *last, int depth) {
    while (last - first > THRESHOLD) {
        if (depth == 0) {
            F_(partial_sort)(first, last, last);
            return;
        }
        --depth;
        elem *cut = F_(unguarded_partition_pivot)(first, last);
        F_(introsort_loop)(cut, last, depth);
        last = cut;
    }
}
/* std::sort */
static void F_(std_sort)(elem *first, elem *last) {
    if (first == last) return;
    F_(introsort_loop)(first, last, lg(last - first) * 2);
    F_(final_insertion_sort)(first, last);
}
/* std::nth_element */
static void F_(nth_element)(elem *first, elem *nth, elem *last) {
    if (first == last || nth == last) return;
    int depth = lg(last - first) * 2;
    while (last - first > 3) {
        if (depth == 0) {
            F_(heap_select)(first, nth + 1, last);
            swap(first, nth);
            return;
        }
        --depth;
        elem *cut = F_(unguarded_partition_pivot)(first, last);
        if (cut <= nth)
            first = cut;
        else
            last = cut;
    }
    F_(insertion_sort)(first, last);
}
/* a stable merge sort (buf holds n elements) */
static void F_(merge_sort)(elem *a, int64_t n, elem *buf) {
    if (n < 2) return;
    int64_t h = n / 2;
    F_(merge_sort)(a, h, buf);
    F_(merge_sort)(a + h, n - h, buf);
    int64_t i = 0, j = h, k = 0;
    while (i < h && j < n) buf[k++] = BEFORE(a + j, a + i) ? a[j++] : a[i++];
    while (i < h) buf[k++] = a[i++];
    while (j < n) buf[k++] = a[j++];
    memcpy(a, buf, (size_t)n * sizeof *a);
}

#undef THRESHOLD
#undef F_
