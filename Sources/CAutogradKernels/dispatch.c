// Run-time selection of the instruction set, and the public entry points.
//
// All kernels of one instruction set are gathered in a table; the first call of any entry
// point picks the best table the CPU supports and publishes it in an atomic pointer. Two
// threads racing on the first call compute the same answer, so the only requirement is that
// the pointer store/load is atomic (release/acquire); there is no lock and no constructor.
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "autograd_kernels.h"
#include "kernels_internal.h"

typedef void (*ag_sgemm_fn)(int, int, int, const float *, int, const float *, int, float *, int,
                            int);
typedef void (*ag_dgemm_fn)(int, int, int, const double *, int, const double *, int, double *,
                            int, int);
typedef void (*ag_vexpf_fn)(size_t, const float *, float *);
typedef void (*ag_vexp_fn)(size_t, const double *, double *);
typedef void (*ag_quadratic_fn)(size_t, size_t, const double *, const double *, const double *,
                                size_t, const double *, double *);
typedef void (*ag_quadratic_batch_fn)(size_t, size_t, const double *, const double *,
                                      const double *, size_t, size_t, const double *, double *,
                                      size_t);
typedef double (*ag_logsumexp_fn)(size_t, const double *, const double *, double);
typedef void (*ag_smixture_fn)(size_t, size_t, const float *, const float *, const float *, size_t,
                               const float *, float, size_t, const float *, float *, double *);
typedef void (*ag_mixture_fn)(size_t, size_t, const double *, const double *, const double *,
                              size_t, const double *, double, size_t, const double *, double *,
                              double *);

typedef struct {
    const char *name;
    ag_sgemm_fn snn, stn;
    ag_dgemm_fn dnn, dtn;
    ag_vexpf_fn vexpf;
    ag_vexp_fn vexp;
    ag_quadratic_fn dquadratic;
    ag_quadratic_batch_fn dquadratic_batch;
    ag_logsumexp_fn dlogsumexp;
    ag_mixture_fn dmixture;
    ag_smixture_fn smixture;
} ag_table;

#define AG_TABLE(isa, label)                                                                       \
    {label,                                                                                        \
     ag_sgemm_nn_skinny_##isa,                                                                     \
     ag_sgemm_tn_skinny_##isa,                                                                     \
     ag_dgemm_nn_skinny_##isa,                                                                     \
     ag_dgemm_tn_skinny_##isa,                                                                     \
     ag_vexpf_##isa,                                                                               \
     ag_vexp_##isa,                                                                                \
     ag_dquadratic_terms_##isa,                                                                    \
     ag_dquadratic_terms_batch_##isa,                                                              \
     ag_dlogsumexp_##isa,                                                                          \
     ag_dmixture_logdensity_##isa,                                                                 \
     ag_smixture_logdensity_##isa}

#if defined(__x86_64__)
static const ag_table ag_tables[] = {
    AG_TABLE(avx512, "avx512"),
    AG_TABLE(avx2, "avx2"),
    AG_TABLE(sse2, "baseline"),
};

// Index of the best table this CPU (and OS: the checks include XSAVE state support) can run.
static int ag_best_index(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return 0;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 2;
}
#else
static const ag_table ag_tables[] = {
#if defined(__aarch64__) || defined(__ARM_NEON)
    AG_TABLE(generic, "neon"),
#else
    AG_TABLE(generic, "baseline"),
#endif
};
static int ag_best_index(void) { return 0; }
#endif

#define AG_NTABLES ((int)(sizeof ag_tables / sizeof ag_tables[0]))

static _Atomic(const ag_table *) ag_current;

// Table index for an instruction-set name, or -1. Only tables at or below the best supported
// one can be selected.
static int ag_index_of(const char *name) {
    if (!name) return -1;
    for (int i = ag_best_index(); i < AG_NTABLES; i++)
        if (strcmp(ag_tables[i].name, name) == 0) return i;
    return -1;
}

static const ag_table *ag_select(void) {
    int idx = ag_index_of(getenv("AG_KERNELS_ISA"));
    if (idx < 0) idx = ag_best_index();
    return &ag_tables[idx];
}

static inline const ag_table *ag_table_get(void) {
    const ag_table *t = atomic_load_explicit(&ag_current, memory_order_acquire);
    if (__builtin_expect(t == NULL, 0)) {
        t = ag_select();
        atomic_store_explicit(&ag_current, t, memory_order_release);
    }
    return t;
}

int ag_kernels_force_isa(const char *name) {
    const ag_table *t;
    if (name == NULL) {
        t = &ag_tables[ag_best_index()];
    } else {
        const int idx = ag_index_of(name);
        if (idx < 0) return 0;
        t = &ag_tables[idx];
    }
    atomic_store_explicit(&ag_current, t, memory_order_release);
    return 1;
}

const char *ag_kernels_isa(void) { return ag_table_get()->name; }

void ag_sgemm_nn_skinny(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, int accumulate) {
    ag_table_get()->snn(m, n, k, A, lda, B, ldb, C, ldc, accumulate);
}
void ag_dgemm_nn_skinny(int m, int n, int k, const double *A, int lda, const double *B, int ldb,
                        double *C, int ldc, int accumulate) {
    ag_table_get()->dnn(m, n, k, A, lda, B, ldb, C, ldc, accumulate);
}
void ag_sgemm_tn_skinny(int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                        float *C, int ldc, int accumulate) {
    ag_table_get()->stn(m, n, k, A, lda, B, ldb, C, ldc, accumulate);
}
void ag_dgemm_tn_skinny(int m, int n, int k, const double *A, int lda, const double *B, int ldb,
                        double *C, int ldc, int accumulate) {
    ag_table_get()->dtn(m, n, k, A, lda, B, ldb, C, ldc, accumulate);
}
void ag_vexpf(size_t n, const float *x, float *y) { ag_table_get()->vexpf(n, x, y); }
void ag_vexp(size_t n, const double *x, double *y) { ag_table_get()->vexp(n, x, y); }
void ag_dquadratic_terms(size_t K, size_t C, const double *base, const double *mu,
                         const double *curv, size_t ld, const double *y, double *t) {
    ag_table_get()->dquadratic(K, C, base, mu, curv, ld, y, t);
}
void ag_dquadratic_terms_batch(size_t K, size_t C, const double *base, const double *mu,
                               const double *curv, size_t ld, size_t P, const double *y,
                               double *t, size_t ldt) {
    ag_table_get()->dquadratic_batch(K, C, base, mu, curv, ld, P, y, t, ldt);
}
double ag_dlogsumexp(size_t K, const double *t, const double *w, double cutoff) {
    return ag_table_get()->dlogsumexp(K, t, w, cutoff);
}
void ag_dmixture_logdensity(size_t K, size_t C, const double *base, const double *mu,
                            const double *curv, size_t ld, const double *w, double cutoff, size_t P,
                            const double *y, double *scratch, double *out) {
    ag_table_get()->dmixture(K, C, base, mu, curv, ld, w, cutoff, P, y, scratch, out);
}
void ag_smixture_logdensity(size_t K, size_t C, const float *base, const float *mu,
                            const float *curv, size_t ld, const float *w, float cutoff, size_t P,
                            const float *y, float *scratch, double *out) {
    ag_table_get()->smixture(K, C, base, mu, curv, ld, w, cutoff, P, y, scratch, out);
}
