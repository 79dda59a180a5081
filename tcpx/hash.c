// SPDX-License-Identifier: GPL-2.0
/*
 * The lookup tables: one inet_hashinfo for every namespace (the netns is
 * part of each key, as for TCP): established/TIME-WAIT/request sockets in
 * ehash, listeners in lhash2, bound ports in bhash and bhash2.
 */
#include <linux/mm.h>
#include <linux/slab.h>

#include "tcpx.h"

#define TCPX_EHASH_ENTRIES	16384
#define TCPX_BHASH_ENTRIES	4096

struct inet_hashinfo tcpx_hashinfo;

/*
 * One spin_lock_init() site per table: lockdep tells lock classes apart by
 * init site, and inet_csk_get_port() nests a bhash2 lock in a bhash one.
 */
static void tcpx_bhash_init(struct inet_hashinfo *h)
{
	unsigned int i;

	for (i = 0; i < TCPX_BHASH_ENTRIES; i++) {
		spin_lock_init(&h->bhash[i].lock);
		INIT_HLIST_HEAD(&h->bhash[i].chain);
		spin_lock_init(&h->bhash2[i].lock);
		INIT_HLIST_HEAD(&h->bhash2[i].chain);
	}
}

int tcpx_hash_init(void)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;
	unsigned int i;
	int err;

	err = inet_hashinfo2_init_mod(h);
	if (err)
		return err;

	err = -ENOMEM;
	h->bind_bucket_cachep = kmem_cache_create("tcpx_bind_bucket",
						  sizeof(struct inet_bind_bucket),
						  0, SLAB_HWCACHE_ALIGN, NULL);
	if (!h->bind_bucket_cachep)
		goto err_lhash2;
	h->bind2_bucket_cachep = kmem_cache_create("tcpx_bind2_bucket",
						   sizeof(struct inet_bind2_bucket),
						   0, SLAB_HWCACHE_ALIGN, NULL);
	if (!h->bind2_bucket_cachep)
		goto err_bind_cache;

	h->ehash = kvmalloc_array(TCPX_EHASH_ENTRIES, sizeof(*h->ehash),
				  GFP_KERNEL);
	if (!h->ehash)
		goto err_bind2_cache;
	h->ehash_mask = TCPX_EHASH_ENTRIES - 1;
	for (i = 0; i < TCPX_EHASH_ENTRIES; i++)
		INIT_HLIST_NULLS_HEAD(&h->ehash[i].chain, i);
	if (inet_ehash_locks_alloc(h))
		goto err_ehash;

	h->bhash_size = TCPX_BHASH_ENTRIES;
	h->bhash = kvmalloc_array(TCPX_BHASH_ENTRIES, sizeof(*h->bhash),
				  GFP_KERNEL);
	if (!h->bhash)
		goto err_locks;
	h->bhash2 = kvmalloc_array(TCPX_BHASH_ENTRIES, sizeof(*h->bhash2),
				   GFP_KERNEL);
	if (!h->bhash2)
		goto err_bhash;
	tcpx_bhash_init(h);
	h->pernet = false;
	return 0;

err_bhash:
	kvfree(h->bhash);
err_locks:
	inet_ehash_locks_free(h);
err_ehash:
	kvfree(h->ehash);
err_bind2_cache:
	kmem_cache_destroy(h->bind2_bucket_cachep);
err_bind_cache:
	kmem_cache_destroy(h->bind_bucket_cachep);
err_lhash2:
	inet_hashinfo2_free_mod(h);
	memset(h, 0, sizeof(*h));
	return err;
}

void tcpx_hash_exit(void)
{
	struct inet_hashinfo *h = &tcpx_hashinfo;

	kvfree(h->bhash2);
	kvfree(h->bhash);
	inet_ehash_locks_free(h);
	kvfree(h->ehash);
	kmem_cache_destroy(h->bind2_bucket_cachep);
	kmem_cache_destroy(h->bind_bucket_cachep);
	inet_hashinfo2_free_mod(h);
}
