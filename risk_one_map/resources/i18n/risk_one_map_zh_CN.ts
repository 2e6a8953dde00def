<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="zh_CN">
<context>
    <name>RiskOneMap</name>
    <message>
        <source>这项功能还缺少所需组件：请点击 插件 → 风险隐患一张图 → 安装所需组件。</source>
        <translation>这项功能还缺少所需组件：请点击 插件 → 风险隐患一张图 → 安装所需组件。</translation>
    </message>
    <message>
        <source>部分功能还缺少所需组件：请点击右边的“安装所需组件”一键装好（缺 {names}）。</source>
        <translation>部分功能还缺少所需组件：请点击右边的“安装所需组件”一键装好（缺 {names}）。</translation>
    </message>
    <message>
        <source>这项功能还缺少所需组件（{names}）：请点击 插件 → 风险隐患一张图 → 安装所需组件。</source>
        <translation>这项功能还缺少所需组件（{names}）：请点击 插件 → 风险隐患一张图 → 安装所需组件。</translation>
    </message>
    <message>
        <source>打开一张图包…</source>
        <translation>打开一张图包…</translation>
    </message>
    <message>
        <source>乡镇出图面板</source>
        <translation>乡镇出图面板</translation>
    </message>
    <message>
        <source>安装所需组件…</source>
        <translation>安装所需组件…</translation>
    </message>
    <message>
        <source>安装所需组件</source>
        <translation>安装所需组件</translation>
    </message>
    <message>
        <source>加载 onemap.gpkg、人口与地形栅格，按图层组分组并配好样式</source>
        <translation>加载 onemap.gpkg、人口与地形栅格，按图层组分组并配好样式</translation>
    </message>
    <message>
        <source>选乡镇、选村，打印本村风险隐患一张图</source>
        <translation>选乡镇、选村，打印本村风险隐患一张图</translation>
    </message>
    <message>
        <source>导入数据…</source>
        <translation>导入数据…</translation>
    </message>
    <message>
        <source>检查一张图包…</source>
        <translation>检查一张图包…</translation>
    </message>
    <message>
        <source>人口暴露分析…</source>
        <translation>人口暴露分析…</translation>
    </message>
    <message>
        <source>转移避险分析…</source>
        <translation>转移避险分析…</translation>
    </message>
    <message>
        <source>物资储备点选址…</source>
        <translation>物资储备点选址…</translation>
    </message>
    <message>
        <source>DEM洼地（低洼易涝点筛查）…</source>
        <translation>DEM洼地（低洼易涝点筛查）…</translation>
    </message>
    <message>
        <source>批量打印村图…</source>
        <translation>批量打印村图…</translation>
    </message>
    <message>
        <source>预警叫应…</source>
        <translation>预警叫应…</translation>
    </message>
    <message>
        <source>导出隐患排查治理台账…</source>
        <translation>导出隐患排查治理台账…</translation>
    </message>
    <message>
        <source>导入修改后的台账…</source>
        <translation>导入修改后的台账…</translation>
    </message>
    <message>
        <source>导出巡查包（QField）…</source>
        <translation>导出巡查包（QField）…</translation>
    </message>
    <message>
        <source>合并交回的巡查包…</source>
        <translation>合并交回的巡查包…</translation>
    </message>
    <message>
        <source>生成示例县…</source>
        <translation>生成示例县…</translation>
    </message>
    <message>
        <source>把分析、出图所需的 Python 组件装进本插件自己的文件夹（可从网络或本地文件夹安装）</source>
        <translation>把分析、出图所需的 Python 组件装进本插件自己的文件夹（可从网络或本地文件夹安装）</translation>
    </message>
    <message>
        <source>打开一张图包</source>
        <translation>打开一张图包</translation>
    </message>
    <message>
        <source>已加载 {n} 个图层：{path}</source>
        <translation>已加载 {n} 个图层：{path}</translation>
    </message>
    <message>
        <source>默认值 default（可修改）</source>
        <translation>默认值 default（可修改）</translation>
    </message>
    <message>
        <source>人口暴露分析</source>
        <translation>人口暴露分析</translation>
    </message>
    <message>
        <source>转移避险分析</source>
        <translation>转移避险分析</translation>
    </message>
    <message>
        <source>物资储备点选址</source>
        <translation>物资储备点选址</translation>
    </message>
    <message>
        <source>选择…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>一张图数据包</source>
        <translation>一张图数据包</translation>
    </message>
    <message>
        <source>运行</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>选择一张图包文件夹</source>
        <translation>选择一张图包文件夹</translation>
    </message>
    <message>
        <source>正在计算……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>正在计算……进度见窗口底部的任务栏，可在那里取消。</translation>
    </message>
    <message>
        <source>打印县域选址图</source>
        <translation>打印县域选址图</translation>
    </message>
    <message>
        <source>风险隐患一张图</source>
        <translation>风险隐患一张图</translation>
    </message>
    <message>
        <source>正在打印县域选址图……</source>
        <translation>正在打印县域选址图……</translation>
    </message>
    <message>
        <source>已打印县域选址图：{file}</source>
        <translation>已打印县域选址图：{file}</translation>
    </message>
    <message>
        <source>计算方式</source>
        <translation>计算方式</translation>
    </message>
    <message>
        <source>人口来源</source>
        <translation>人口来源</translation>
    </message>
    <message>
        <source>绘制乡镇柱状图</source>
        <translation>绘制乡镇柱状图</translation>
    </message>
    <message>
        <source>最远步行距离（米，0 = 不限）</source>
        <translation>最远步行距离（米，0 = 不限）</translation>
    </message>
    <message>
        <source>模型</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>新增储备点数</source>
        <translation>新增储备点数</translation>
    </message>
    <message>
        <source>时限（分钟，0 = 县级时限）</source>
        <translation>时限（分钟，0 = 县级时限）</translation>
    </message>
    <message>
        <source>需求</source>
        <translation>需求</translation>
    </message>
    <message>
        <source>保留现有储备点</source>
        <translation>保留现有储备点</translation>
    </message>
    <message>
        <source>完成后打印县域选址图（A3 PDF）</source>
        <translation>完成后打印县域选址图（A3 PDF）</translation>
    </message>
    <message>
        <source>这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}</source>
        <translation>这个文件夹不是一张图包（缺少 onemap.gpkg）：{path}</translation>
    </message>
    <message>
        <source>请先核对：须撤离人口占比异常。</source>
        <translation>请先核对：须撤离人口占比异常。</translation>
    </message>
    <message>
        <source>精确（按面积比例）</source>
        <translation>精确（按面积比例）</translation>
    </message>
    <message>
        <source>快速（按格网中心）</source>
        <translation>快速（按格网中心）</translation>
    </message>
    <message>
        <source>自动</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>人口格网</source>
        <translation>人口格网</translation>
    </message>
    <message>
        <source>住户点</source>
        <translation>住户点</translation>
    </message>
    <message>
        <source>村人口表（按面积）</source>
        <translation>村人口表（按面积）</translation>
    </message>
    <message>
        <source>P-中位：总加权时间最短</source>
        <translation>P-中位：总加权时间最短</translation>
    </message>
    <message>
        <source>最大覆盖：时限内覆盖人口最多</source>
        <translation>最大覆盖：时限内覆盖人口最多</translation>
    </message>
    <message>
        <source>集合覆盖：最少新增点覆盖全部</source>
        <translation>集合覆盖：最少新增点覆盖全部</translation>
    </message>
    <message>
        <source>P-中心：最远时间最短</source>
        <translation>P-中心：最远时间最短</translation>
    </message>
    <message>
        <source>常住人口</source>
        <translation>常住人口</translation>
    </message>
    <message>
        <source>1-3级风险暴露人口</source>
        <translation>1-3级风险暴露人口</translation>
    </message>
    <message>
        <source>完成，已加载 {n} 个结果图层。</source>
        <translation>完成，已加载 {n} 个结果图层。</translation>
    </message>
    <message>
        <source>风险隐患一张图 · 乡镇出图</source>
        <translation>风险隐患一张图 · 乡镇出图</translation>
    </message>
    <message>
        <source>请选择一张图包文件夹</source>
        <translation>请选择一张图包文件夹</translation>
    </message>
    <message>
        <source>打印本村一张图</source>
        <translation>打印本村一张图</translation>
    </message>
    <message>
        <source>打印全镇</source>
        <translation>打印全镇</translation>
    </message>
    <message>
        <source>预警叫应</source>
        <translation>预警叫应</translation>
    </message>
    <message>
        <source>打开 CAP 预警文件或在地图上画范围：先打给谁、哪些户要转移、打印各乡镇叫应单</source>
        <translation>打开 CAP 预警文件或在地图上画范围：先打给谁、哪些户要转移、打印各乡镇叫应单</translation>
    </message>
    <message>
        <source>正在打印……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>正在打印……进度见窗口底部的任务栏，可在那里取消。</translation>
    </message>
    <message>
        <source>乡镇（街道）</source>
        <translation>乡镇（街道）</translation>
    </message>
    <message>
        <source>村（社区）</source>
        <translation>村（社区）</translation>
    </message>
    <message>
        <source>输出到：{folder}（A3）</source>
        <translation>输出到：{folder}（A3）</translation>
    </message>
    <message>
        <source>打印 {name} 一张图</source>
        <translation>打印 {name} 一张图</translation>
    </message>
    <message>
        <source>打印 {name} 全部村图</source>
        <translation>打印 {name} 全部村图</translation>
    </message>
    <message>
        <source>已打印：{file}</source>
        <translation>已打印：{file}</translation>
    </message>
    <message>
        <source>已打印 {n} 张村图（新打印 {w} 张）</source>
        <translation>已打印 {n} 张村图（新打印 {w} 张）</translation>
    </message>
    <message>
        <source>；合订本：{file}</source>
        <translation>；合订本：{file}</translation>
    </message>
    <message>
        <source>打印没有完成：{reason}</source>
        <translation>打印没有完成：{reason}</translation>
    </message>
    <message>
        <source>常住人口 {n} 人</source>
        <translation>常住人口 {n} 人</translation>
    </message>
    <message>
        <source>{n} 户</source>
        <translation>{n} 户</translation>
    </message>
    <message>
        <source>导入数据为一张图包</source>
        <translation>导入数据为一张图包</translation>
    </message>
    <message>
        <source>添加文件…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>移除所选</source>
        <translation>移除所选</translation>
    </message>
    <message>
        <source>导入</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>选择要导入的文件</source>
        <translation>选择要导入的文件</translation>
    </message>
    <message>
        <source>输出一张图包文件夹</source>
        <translation>输出一张图包文件夹</translation>
    </message>
    <message>
        <source>正在读取文件……</source>
        <translation>正在读取文件……</translation>
    </message>
    <message>
        <source>预览导入文件</source>
        <translation>预览导入文件</translation>
    </message>
    <message>
        <source>（不导入）</source>
        <translation>（不导入）</translation>
    </message>
    <message>
        <source>手选</source>
        <translation>手选</translation>
    </message>
    <message>
        <source>正在导入……进度见窗口底部的任务栏，可在那里取消。</source>
        <translation>正在导入……进度见窗口底部的任务栏，可在那里取消。</translation>
    </message>
    <message>
        <source>文件（图层）</source>
        <translation>文件（图层）</translation>
    </message>
    <message>
        <source>识别为</source>
        <translation>识别为</translation>
    </message>
    <message>
        <source>编码</source>
        <translation>编码</translation>
    </message>
    <message>
        <source>坐标系</source>
        <translation>坐标系</translation>
    </message>
    <message>
        <source>字段匹配</source>
        <translation>字段匹配</translation>
    </message>
    <message>
        <source>字段对照（所选文件）：* 为必填字段</source>
        <translation>字段对照（所选文件）：* 为必填字段</translation>
    </message>
    <message>
        <source>模型字段</source>
        <translation>模型字段</translation>
    </message>
    <message>
        <source>中文名</source>
        <translation>中文名</translation>
    </message>
    <message>
        <source>来源字段</source>
        <translation>来源字段</translation>
    </message>
    <message>
        <source>匹配方式</source>
        <translation>匹配方式</translation>
    </message>
    <message>
        <source>请先添加文件并选择输出文件夹。</source>
        <translation>请先添加文件并选择输出文件夹。</translation>
    </message>
    <message>
        <source>导入数据</source>
        <translation>导入数据</translation>
    </message>
    <message>
        <source>{n} 个图层待导入。选择一行查看字段对照。</source>
        <translation>{n} 个图层待导入。选择一行查看字段对照。</translation>
    </message>
    <message>
        <source>已导入：保留 {k}，修复 {r}，拒绝 {x}。</source>
        <translation>已导入：保留 {k}，修复 {r}，拒绝 {x}。</translation>
    </message>
    <message>
        <source>详情见下方记录。</source>
        <translation>详情见下方记录。</translation>
    </message>
    <message>
        <source>从网络安装（需要能上网）</source>
        <translation>从网络安装（需要能上网）</translation>
    </message>
    <message>
        <source>从本地文件夹安装（内网电脑：先在能上网的电脑上准备好组件文件夹）</source>
        <translation>从本地文件夹安装（内网电脑：先在能上网的电脑上准备好组件文件夹）</translation>
    </message>
    <message>
        <source>组件文件夹（里面是 .whl 文件）</source>
        <translation>组件文件夹（里面是 .whl 文件）</translation>
    </message>
    <message>
        <source>同时安装可选组件：OR-Tools（转移避险分配更快）、openpyxl（导入 Excel 表格）、defusedxml（读取预警文件）、numba（DEM 洼地计算更快）</source>
        <translation>同时安装可选组件：OR-Tools（转移避险分配更快）、openpyxl（导入 Excel 表格）、defusedxml（读取预警文件）、numba（DEM 洼地计算更快）</translation>
    </message>
    <message>
        <source>安装记录</source>
        <translation>安装记录</translation>
    </message>
    <message>
        <source>安装</source>
        <translation>安装</translation>
    </message>
    <message>
        <source>取消安装</source>
        <translation>取消安装</translation>
    </message>
    <message>
        <source>选择组件文件夹</source>
        <translation>选择组件文件夹</translation>
    </message>
    <message>
        <source>正在查找合适的版本……</source>
        <translation>正在查找合适的版本……</translation>
    </message>
    <message>
        <source>组件文件夹里缺少适合这台电脑的文件（见下方记录），请用 make wheelhouse 重新准备。</source>
        <translation>组件文件夹里缺少适合这台电脑的文件（见下方记录），请用 make wheelhouse 重新准备。</translation>
    </message>
    <message>
        <source>可能是这台电脑不能上网：请改用“从本地文件夹安装”。</source>
        <translation>可能是这台电脑不能上网：请改用“从本地文件夹安装”。</translation>
    </message>
    <message>
        <source>已取消，组件文件夹保持原样。</source>
        <translation>已取消，组件文件夹保持原样。</translation>
    </message>
    <message>
        <source>所需组件都已安装，各项功能可用。也可以在这里安装可选组件。</source>
        <translation>所需组件都已安装，各项功能可用。也可以在这里安装可选组件。</translation>
    </message>
    <message>
        <source>所需组件都已安装，不需要再装。</source>
        <translation>所需组件都已安装，不需要再装。</translation>
    </message>
    <message>
        <source>要安装：</source>
        <translation>要安装：</translation>
    </message>
    <message>
        <source>保留 QGIS 自带的：</source>
        <translation>保留 QGIS 自带的：</translation>
    </message>
    <message>
        <source>请选择一个装有 .whl 组件文件的文件夹。</source>
        <translation>请选择一个装有 .whl 组件文件的文件夹。</translation>
    </message>
    <message>
        <source>安装没有完成，组件文件夹保持原样。</source>
        <translation>安装没有完成，组件文件夹保持原样。</translation>
    </message>
    <message>
        <source>将装入：</source>
        <translation>将装入：</translation>
    </message>
    <message>
        <source>安装完成，各项功能已启用，不需要重启 QGIS。</source>
        <translation>安装完成，各项功能已启用，不需要重启 QGIS。</translation>
    </message>
    <message>
        <source>无法启动 QGIS 的 Python：{python}</source>
        <translation>无法启动 QGIS 的 Python：{python}</translation>
    </message>
    <message>
        <source>正在安装 {n} 个组件……</source>
        <translation>正在安装 {n} 个组件……</translation>
    </message>
    <message>
        <source>组件已装好，请重启 QGIS 后使用（QGIS 已加载旧版本：{names}）。</source>
        <translation>组件已装好，请重启 QGIS 后使用（QGIS 已加载旧版本：{names}）。</translation>
    </message>
    <message>
        <source>安装位置：{folder}</source>
        <translation>安装位置：{folder}</translation>
    </message>
    <message>
        <source>正在使用的组件</source>
        <translation>正在使用的组件</translation>
    </message>
    <message>
        <source>缺少：{names}。暂不能用：{off}。</source>
        <translation>缺少：{names}。暂不能用：{off}。</translation>
    </message>
    <message>
        <source>安装结束，但仍缺少：{names}。</source>
        <translation>安装结束，但仍缺少：{names}。</translation>
    </message>
    <message>
        <source>安装没有完成，组件文件夹保持原样：{reason}</source>
        <translation>安装没有完成，组件文件夹保持原样：{reason}</translation>
    </message>
    <message>
        <source>导出本镇巡查包（QField）…</source>
        <translation>导出本镇巡查包（QField）…</translation>
    </message>
    <message>
        <source>把本镇的隐患台账、地图和巡查表单写成一个文件夹，拷到手机上用 QField 离线巡查</source>
        <translation>把本镇的隐患台账、地图和巡查表单写成一个文件夹，拷到手机上用 QField 离线巡查</translation>
    </message>
    <message>
        <source>打印本村预案</source>
        <translation>打印本村预案</translation>
    </message>
    <message>
        <source>处置卡</source>
        <translation>处置卡</translation>
    </message>
    <message>
        <source>打印 {name} 应急预案</source>
        <translation>打印 {name} 应急预案</translation>
    </message>
    <message>
        <source>打印 {name} 应急处置卡</source>
        <translation>打印 {name} 应急处置卡</translation>
    </message>
    <message>
        <source>无</source>
        <translation>无</translation>
    </message>
    <message>
        <source>没有人住在高、中高风险区（1-2 级）。</source>
        <translation>没有人住在高、中高风险区（1-2 级）。</translation>
    </message>
    <message>
        <source>结果已是最优。</source>
        <translation>结果已是最优。</translation>
    </message>
    <message>
        <source>预警已解除，无需叫应；以前的叫应记录都保留着。</source>
        <translation>预警已解除，无需叫应；以前的叫应记录都保留着。</translation>
    </message>
    <message>
        <source>共 {n} 个村，统计常住人口 {p} 人（人口来源：{source}）。</source>
        <translation>共 {n} 个村，统计常住人口 {p} 人（人口来源：{source}）。</translation>
    </message>
    <message>
        <source>须撤离 {h} 户 {p} 人；已安排到 {s} 个避难场所 {a} 户。</source>
        <translation>须撤离 {h} 户 {p} 人；已安排到 {s} 个避难场所 {a} 户。</translation>
    </message>
    <message>
        <source>保留现有储备点 {k} 个，建议新增 {n} 个：{names}。</source>
        <translation>保留现有储备点 {k} 个，建议新增 {n} 个：{names}。</translation>
    </message>
    <message>
        <source>到储备点平均车程 {m} 分钟，最远 {w} 分钟。</source>
        <translation>到储备点平均车程 {m} 分钟，最远 {w} 分钟。</translation>
    </message>
    <message>
        <source>{title}：涉及 {t} 个乡镇 {v} 个村；须立即转移 {h} 户 {p} 人（有老弱病残的 {vul} 户），告知并做好转移准备 {tell} 户。</source>
        <translation>{title}：涉及 {t} 个乡镇 {v} 个村；须立即转移 {h} 户 {p} 人（有老弱病残的 {vul} 户），告知并做好转移准备 {tell} 户。</translation>
    </message>
    <message>
        <source>共 {n} 个电话要打，其中户主 {heads} 个。</source>
        <translation>共 {n} 个电话要打，其中户主 {heads} 个。</translation>
    </message>
    <message>
        <source>没有可开放的避难场所：请乡镇另行安排安置点。</source>
        <translation>没有可开放的避难场所：请乡镇另行安排安置点。</translation>
    </message>
    <message>
        <source>住在高、中高风险区（1-2 级）的人口：{parts} 人。</source>
        <translation>住在高、中高风险区（1-2 级）的人口：{parts} 人。</translation>
    </message>
    <message>
        <source>另有 {n} 条提示，详见日志。</source>
        <translation>另有 {n} 条提示，详见日志。</translation>
    </message>
    <message>
        <source>还有 {u} 户没有安置：{r} 户没有可走的路，{c} 户因避难场所容量不够。</source>
        <translation>还有 {u} 户没有安置：{r} 户没有可走的路，{c} 户因避难场所容量不够。</translation>
    </message>
    <message>
        <source>平均每人步行 {m} 米；{v} 户超出避难场所的服务半径。</source>
        <translation>平均每人步行 {m} 米；{v} 户超出避难场所的服务半径。</translation>
    </message>
    <message>
        <source>有 {n} 处输入数据错误，见“分析结果”中的问题图层。</source>
        <translation>有 {n} 处输入数据错误，见“分析结果”中的问题图层。</translation>
    </message>
    <message>
        <source>结果未证明最优（差距 {g}%），可延长求解时间。</source>
        <translation>结果未证明最优（差距 {g}%），可延长求解时间。</translation>
    </message>
    <message>
        <source>{zh} {h} 小时内可送达的人口：{share}%。</source>
        <translation>{zh} {h} 小时内可送达的人口：{share}%。</translation>
    </message>
    <message>
        <source>{n} 个村没有可叫应的责任人或电话，已列在名单最前：须乡镇派人上门通知。</source>
        <translation>{n} 个村没有可叫应的责任人或电话，已列在名单最前：须乡镇派人上门通知。</translation>
    </message>
    <message>
        <source>开放 {n} 个避难场所，预计到达 {p} 人。</source>
        <translation>开放 {n} 个避难场所，预计到达 {p} 人。</translation>
    </message>
    <message>
        <source>已打印 {n} 份乡镇叫应单：{folder}</source>
        <translation>已打印 {n} 份乡镇叫应单：{folder}</translation>
    </message>
    <message>
        <source>已取消，没有写入任何文件。</source>
        <translation>已取消，没有写入任何文件。</translation>
    </message>
    <message>
        <source>打开文件夹</source>
        <translation>打开文件夹</translation>
    </message>
    <message>
        <source>预警来自</source>
        <translation>预警来自</translation>
    </message>
    <message>
        <source>预警发布系统下发的 CAP 1.2 文件（.xml）</source>
        <translation>预警发布系统下发的 CAP 1.2 文件（.xml）</translation>
    </message>
    <message>
        <source>CAP 文件</source>
        <translation>CAP 文件</translation>
    </message>
    <message>
        <source>只用选中的要素</source>
        <translation>只用选中的要素</translation>
    </message>
    <message>
        <source>范围图层</source>
        <translation>范围图层</translation>
    </message>
    <message>
        <source>在地图上画…</source>
        <translation>在地图上画…</translation>
    </message>
    <message>
        <source>左键逐点加范围的角，右键结束</source>
        <translation>左键逐点加范围的角，右键结束</translation>
    </message>
    <message>
        <source>画出的范围</source>
        <translation>画出的范围</translation>
    </message>
    <message>
        <source>乡镇 9 位或村 12 位代码，空格或逗号分开</source>
        <translation>乡镇 9 位或村 12 位代码，空格或逗号分开</translation>
    </message>
    <message>
        <source>代码</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>预警颜色</source>
        <translation>预警颜色</translation>
    </message>
    <message>
        <source>默认：数据包下的 warning 文件夹</source>
        <translation>默认：数据包下的 warning 文件夹</translation>
    </message>
    <message>
        <source>叫应名单和叫应单存到</source>
        <translation>叫应名单和叫应单存到</translation>
    </message>
    <message>
        <source>打印各乡镇叫应单（A4 PDF）</source>
        <translation>打印各乡镇叫应单（A4 PDF）</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>选择 CAP 预警文件</source>
        <translation>选择 CAP 预警文件</translation>
    </message>
    <message>
        <source>在地图上左键逐点加范围的角，右键结束</source>
        <translation>在地图上左键逐点加范围的角，右键结束</translation>
    </message>
    <message>
        <source>正在计算叫应名单……</source>
        <translation>正在计算叫应名单……</translation>
    </message>
    <message>
        <source>请先点“在地图上画…”画出预警范围。</source>
        <translation>请先点“在地图上画…”画出预警范围。</translation>
    </message>
    <message>
        <source>地图上画的范围</source>
        <translation>地图上画的范围</translation>
    </message>
    <message>
        <source>CAP 预警文件</source>
        <translation>CAP 预警文件</translation>
    </message>
    <message>
        <source>图层中的范围</source>
        <translation>图层中的范围</translation>
    </message>
    <message>
        <source>在地图上画范围</source>
        <translation>在地图上画范围</translation>
    </message>
    <message>
        <source>乡镇/村代码</source>
        <translation>乡镇/村代码</translation>
    </message>
    <message>
        <source>灾种</source>
        <translation>灾种</translation>
    </message>
    <message>
        <source>已画范围：{n} 个角</source>
        <translation>已画范围：{n} 个角</translation>
    </message>
    <message>
        <source>请选择 CAP 预警文件。</source>
        <translation>请选择 CAP 预警文件。</translation>
    </message>
    <message>
        <source>请填写乡镇或村代码。</source>
        <translation>请填写乡镇或村代码。</translation>
    </message>
    <message>
        <source>请选择一个面图层作为预警范围。</source>
        <translation>请选择一个面图层作为预警范围。</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>图层“{name}”中没有可用的面（或没有选中的要素）。</source>
        <translation>图层“{name}”中没有可用的面（或没有选中的要素）。</translation>
    </message>
</context>
</TS>
