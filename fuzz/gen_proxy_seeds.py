import os
D='corpus/fuzz_proxy'
ST={100:0,180:1,183:2,199:3,200:4,202:5,299:6,300:7,302:8,401:9,404:10,407:11,408:12,480:13,486:14,487:15,500:16,503:17,600:18,603:19,699:20}
DT={0:0,1:1,100:2,500:3,999:4,1000:5,32000:6,64000:7,185000:8,200000:9}
def req(method=0, ruri=0, mf=0, pr=0, stateless=False, totag=False, reject=None, targets=(), handled=False):
    a = method | (ruri << 3)
    b = mf | (pr << 3) | (0x80 if stateless else 0)
    d = (1 if totag else 0)
    if reject is not None: d |= 2 | (reject << 2)
    out = [0, a, b, d]
    if reject is None and not handled:
        out.append(len(targets))
        for (t, q, route) in targets:
            out.append(t | (q << 3) | ({False:0, True:0x80, 'strict':0xc0}[route]))
    return out
def resp(br, st, tag=0, extra=0): return [1, br, ST[st], tag | (extra << 2)]
def tm(dt): return [2, DT[dt]]
def cancel(r, stateless=False): return [3, r | (0x80 if stateless else 0)]
def fail(br, eio=False): return [4, br | (0x80 if eio else 0)]
def cans(i, r481=False): return [5, i*2 + (1 if r481 else 0)]
def loop(br, spiral=False): return [6, br | (0x80 if spiral else 0)]
def again(br): return [7, br, 0, 0]
T1=(0,0,False); T2=(1,0,False); T3=(2,0,False)
seeds = {
 'invite-one-target-200': [0x78] + req(targets=[T1]) + resp(0,100) + resp(0,180) + resp(0,200),
 'parallel-486-200-cancel': [0x78] + req(targets=[T1,T2,T3]) + resp(2,180,2) + resp(0,486) + resp(1,200,1) + cans(0) + resp(2,487,2),
 'sequential-q': [0x78] + req(targets=[(0,2,False),(1,4,False),(2,4,False)]) + resp(0,404) + resp(1,480,1) + resp(2,200,2),
 '6xx-ends-search': [0x78] + req(targets=[T1,T2,(2,7,False)]) + resp(1,180,1) + resp(0,603) + resp(1,487,1),
 'best-404-500': [0x78] + req(targets=[T1,T2]) + resp(0,500) + resp(1,404,1),
 '503-to-500': [0x78] + req(targets=[T1]) + resp(0,503),
 'auth-401-407': [0x78] + req(targets=[T1,T2,T3]) + resp(0,401) + resp(1,407,1) + resp(2,404,2,2),
 'timer-c-408': [0xf8] + req(targets=[T1]) + tm(1000) + tm(1000),
 'timer-c-cancel-guard': [0xf8] + req(targets=[T1]) + resp(0,183) + tm(999) + tm(1000) + tm(32000) + tm(64000),
 'upstream-cancel': [0x78] + req(targets=[T1,T2]) + resp(0,180) + cancel(0) + resp(1,180,1) + resp(0,487) + resp(1,487,1),
 'cancel-unknown-481': [0x78] + cancel(0) + req(targets=[T1]) + cancel(3) + resp(0,200),
 '2xx-retransmissions': [0x78] + req(targets=[T1,T2]) + resp(1,180,1) + resp(0,200) + again(0) + resp(1,200,1) + again(0) + again(1),
 'max-forwards-zero': [0x78] + req(mf=2, handled=True) + req(method=3, mf=2, handled=True) + req(mf=3, targets=[T1]) + resp(0,200),
 'scheme-416-tel': [0x78] + req(ruri=3, handled=True) + req(ruri=2, targets=[(5,0,False)]) + resp(0,404),
 'proxy-require-420': [0x78] + req(pr=2, handled=True) + req(pr=1, targets=[T1]) + resp(0,200),
 'strict-route-recovery': [0x79] + req(method=4, ruri=4, totag=True) + resp(0,200),
 'route-pop-rr': [0x79] + req(ruri=5, targets=[T1]) + req(ruri=6) + resp(0,180) + resp(1,200,1) + resp(0,200),
 'loop-and-spiral': [0x78] + req(targets=[T1]) + loop(0) + loop(0, True) + resp(0,200) + resp(1,486,1),
 'strict-router-target': [0x78] + req(targets=[(0,0,'strict'),(1,0,True)]) + resp(0,180) + cancel(0) + resp(0,487) + resp(1,487,1) + req(method=6, ruri=9, handled=True),
 'ack-stateless': [0x78] + req(method=6, ruri=6, handled=True) + req(method=6, handled=True) + req(method=4, ruri=5, stateless=True, handled=True) + req(method=2, stateless=True, handled=True) + req(method=4, ruri=6, stateless=True, handled=True),
 'recursion-302': [0x7a] + req(targets=[T1]) + resp(0,302,0,1) + resp(1,486,1) + resp(2,480,2),
 'non-invite-fork': [0x78] + req(method=2, targets=[T1,T2]) + resp(0,202) + resp(1,200,1) + req(method=3, targets=[T1]) + fail(2, True),
 'branch-fail-timeout': [0x78] + req(targets=[T1,T2]) + fail(0) + fail(1, True),
 'limits-max-contexts': [0x00] + req(targets=[T1,T2,T3]) + req(targets=[T1]) + resp(0,200),
 'reject-then-cancel': [0x78] + req(reject=0) + req(reject=3) + req(reject=4) + cancel(0),
 'free-with-live-contexts': [0x78] + req(targets=[T1,T2]) + resp(0,180) + [0xFF],
 'late-provisional-after-timer-c': [0xf8] + req(targets=[T1]) + tm(1000) + resp(0,180) + resp(0,200) + cans(0),
 'cancel-answer-481': [0x78] + req(targets=[T1]) + resp(0,100) + cancel(0) + cans(0,True) + tm(32000) + tm(1000),
}
os.makedirs(D, exist_ok=True)
for k,v in seeds.items():
    open(os.path.join(D,k+'.bin'),'wb').write(bytes(x & 0xff for x in v))
print(len(seeds))
