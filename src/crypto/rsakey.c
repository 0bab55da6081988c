/* rsakey - OpenSSL RSA keys and their numbers (rsakey.h). */
#include "rsakey.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

int rsakey_from_pkey(EVP_PKEY *pkey, struct rsakey *k)
{
	static const char *const names[] = {
	    OSSL_PKEY_PARAM_RSA_N,	   OSSL_PKEY_PARAM_RSA_E,
	    OSSL_PKEY_PARAM_RSA_D,	   OSSL_PKEY_PARAM_RSA_FACTOR1,
	    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
	    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
	BIGNUM **nums[] = {&k->n, &k->e, &k->d, &k->p, &k->q, &k->dp, &k->dq, &k->qinv};

	memset(k, 0, sizeof(*k));
	k->pkey = pkey;
	if (!pkey)
		return -EIO;
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		if (EVP_PKEY_get_bn_param(k->pkey, names[i], nums[i]) != 1) {
			rsakey_clear(k);
			return -EIO;
		}
	}
	k->bits = (unsigned int)EVP_PKEY_get_bits(pkey);
	k->len = (size_t)BN_num_bytes(k->n);
	return 0;
}

int rsakey_generate(unsigned int bits, struct rsakey *k)
{
	return rsakey_from_pkey(EVP_RSA_gen(bits), k);
}

void rsakey_clear(struct rsakey *k)
{
	BIGNUM **nums[] = {&k->n, &k->e, &k->d, &k->p, &k->q, &k->dp, &k->dq, &k->qinv};

	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		BN_clear_free(*nums[i]);
	EVP_PKEY_free(k->pkey);
	memset(k, 0, sizeof(*k));
}

EVP_PKEY *rsakey_copy(const struct rsakey *k, bool crt)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;
	bool ok = bld && c && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, k->n) &&
		  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, k->e) &&
		  OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, k->d);

	if (ok && crt)
		ok = OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, k->p) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, k->q) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, k->dp) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, k->dq) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, k->qinv);
	ok = ok && (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(c) == 1 &&
	     EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_KEYPAIR, params) == 1;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(c);
	if (!ok) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}
